using Alignment.Data.Model;
using Alignment.LabelingUi.Auth;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;

namespace Alignment.LabelingUi.Features.Workflows;

/// <summary>
/// Who may use <c>/api/workflows</c>: admins only, signed in either way. Scripts send <c>Authorization: Bearer</c> like
/// the rest of the API; the designer page calls it from the browser with its sign-in cookie, and then every mutating
/// call must carry the antiforgery token in the <c>RequestVerificationToken</c> header (a bearer token cannot be sent
/// by another site, a cookie can).
/// </summary>
public static class WorkflowsAuth
{
    /// <summary>The policy of the workflows API: admin role, by cookie or bearer token.</summary>
    public const string Policy = "workflows-admin";

    /// <summary>Forwards to the bearer scheme when an Authorization header is sent or no sign-in cookie is there, else to the cookie.</summary>
    public const string Scheme = "CookieOrBearer";

    private const string AuthCookie = "align.auth";

    /// <summary>Adds <see cref="Scheme"/> and <see cref="Policy"/>.</summary>
    public static void Add(IServiceCollection services)
    {
        services.AddAuthentication().AddPolicyScheme(Scheme, "Cookie or bearer token", o => o.ForwardDefaultSelector = context =>
            !string.IsNullOrEmpty(context.Request.Headers.Authorization) || !context.Request.Cookies.ContainsKey(AuthCookie)
                ? AuthSchemes.Bearer
                : AuthSchemes.Cookie);
        services.AddAuthorizationBuilder()
            .AddPolicy(Policy, p => p.AddAuthenticationSchemes(Scheme).RequireRole(AnnotatorRole.Admin.ToCode()));
    }

    /// <summary>Whether the request was authenticated by its cookie (not by a bearer token).</summary>
    public static bool ByCookie(HttpContext context) => string.IsNullOrEmpty(context.Request.Headers.Authorization);

    /// <summary>Requires a valid antiforgery token on cookie-authenticated calls of <paramref name="builder"/>'s endpoints.</summary>
    public static TBuilder RequireAntiforgeryForCookies<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.DisableAntiforgery();
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            if (ByCookie(http) && !await http.RequestServices.GetRequiredService<IAntiforgery>().IsRequestValidAsync(http))
            {
                return TypedResults.Problem(
                    statusCode: StatusCodes.Status400BadRequest,
                    title: "antiforgery_token_invalid",
                    detail: "This call has no valid antiforgery token in the RequestVerificationToken header (the page may be old). Reload the page and try again.");
            }
            return await next(context);
        });
        return builder;
    }
}
