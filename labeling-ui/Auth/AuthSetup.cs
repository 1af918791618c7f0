using System.Text.Encodings.Web;
using Alignment.Data.Model;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Components.Authorization;

namespace Alignment.LabelingUi.Auth;

/// <summary>Registers cookie sign-in (pages), bearer tokens (API) and the four policies.</summary>
public static class AuthSetup
{
    /// <summary>The sign-in page.</summary>
    public const string SignInPath = "/signin";

    /// <summary>Adds authentication and authorization.</summary>
    public static IServiceCollection AddLabelingAuth(this IServiceCollection services)
    {
        services.AddSingleton<SessionValidator>();
        services.AddScoped<AuthenticationStateProvider, CircuitSessionRevalidator>();
        services.AddAuthentication(AuthSchemes.Cookie)
            .AddCookie(AuthSchemes.Cookie, o =>
            {
                o.Cookie.Name = "align.auth";
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Lax;
                // Secure whenever the request is https, which behind a TLS proxy (`align serve --behind-proxy`) is
                // what the proxy's X-Forwarded-Proto says.
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.LoginPath = SignInPath;
                o.ExpireTimeSpan = TimeSpan.FromHours(12);
                o.SlidingExpiration = true;
                o.Events = new CookieAuthenticationEvents
                {
                    OnValidatePrincipal = RejectStaleSessions,
                    OnRedirectToLogin = RedirectToSignIn,
                    OnRedirectToAccessDenied = Forbidden,
                };
            })
            .AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(AuthSchemes.Bearer, _ => { });

        services.AddAuthorizationBuilder()
            .AddPolicy(AuthPolicies.Annotator, p => p.AddAuthenticationSchemes(AuthSchemes.Cookie).RequireAuthenticatedUser())
            .AddPolicy(AuthPolicies.Admin, p => p.AddAuthenticationSchemes(AuthSchemes.Cookie).RequireRole(AnnotatorRole.Admin.ToCode()))
            .AddPolicy(AuthPolicies.ApiAnnotator, p => p.AddAuthenticationSchemes(AuthSchemes.Bearer).RequireAuthenticatedUser())
            .AddPolicy(AuthPolicies.ApiAdmin, p => p.AddAuthenticationSchemes(AuthSchemes.Bearer).RequireRole(AnnotatorRole.Admin.ToCode()));
        return services;
    }

    /// <summary>
    /// A cookie keeps working only while its account exists, is active, has the same role and the same security stamp
    /// (<see cref="SessionValidator"/>).
    /// </summary>
    private static Task RejectStaleSessions(CookieValidatePrincipalContext context)
    {
        if (context.Principal is { } user && context.HttpContext.RequestServices.GetRequiredService<SessionValidator>().IsValid(user))
            return Task.CompletedTask;
        context.RejectPrincipal();
        return context.HttpContext.SignOutAsync(AuthSchemes.Cookie);
    }

    /// <summary>Browsers go to the sign-in page; htmx requests get 401 and an <c>HX-Redirect</c> to it.</summary>
    private static Task RedirectToSignIn(RedirectContext<CookieAuthenticationOptions> context)
    {
        if (context.Request.Headers.ContainsKey("HX-Request"))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers["HX-Redirect"] = SignInPath;
            return Task.CompletedTask;
        }
        context.Response.Redirect(context.RedirectUri);
        return Task.CompletedTask;
    }

    /// <summary>An annotator on an admin page: 403 with a short page, not a redirect.</summary>
    private static Task Forbidden(RedirectContext<CookieAuthenticationOptions> context)
    {
        context.Response.StatusCode = StatusCodes.Status403Forbidden;
        context.Response.ContentType = "text/html; charset=utf-8";
        var name = HtmlEncoder.Default.Encode(context.HttpContext.User.DisplayName());
        return context.Response.WriteAsync(
            $"""
            <!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Admins only · Alignment</title>
            <link rel="stylesheet" href="/css/app.css"></head><body class="plain">
            <main class="narrow"><h1>Admins only</h1><p>{name}, this page is for admins. Your labeling queue is on the
            <a href="/">home page</a>.</p></main></body></html>
            """);
    }
}
