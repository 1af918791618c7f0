using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Components.Layout;

/// <summary>
/// The light/dark choice, kept in the <c>align.theme</c> cookie (a year) so every page renders in it from the first byte;
/// <c>POST /ui/theme</c> (the layout's toggle, with the antiforgery token) flips it and returns to the page.
/// </summary>
public static class ThemeCookie
{
    /// <summary>The cookie's name.</summary>
    public const string Name = "align.theme";

    /// <summary>Whether the request asks for the dark theme.</summary>
    public static bool IsDark(HttpRequest request) => request.Cookies[Name] == "dark";

    /// <summary>Maps <c>POST /ui/theme</c>.</summary>
    public static IEndpointRouteBuilder MapTheme(this IEndpointRouteBuilder app)
    {
        app.MapPost("/ui/theme", (Delegate)Toggle).RequireAuthorization(AuthPolicies.Annotator).RequireAntiforgeryToken();
        return app;
    }

    /// <summary>POST /ui/theme: flips the choice and redirects to the form's <c>returnUrl</c> (local paths only, else <c>/</c>).</summary>
    public static RedirectHttpResult Toggle(HttpContext context, [Microsoft.AspNetCore.Mvc.FromForm] string? returnUrl)
    {
        var dark = !IsDark(context.Request);
        context.Response.Cookies.Append(Name, dark ? "dark" : "light", new CookieOptions
        {
            MaxAge = TimeSpan.FromDays(365), HttpOnly = true, SameSite = SameSiteMode.Lax, IsEssential = true,
            Secure = context.Request.IsHttps,
        });
        return TypedResults.LocalRedirect(LocalReturnUrl.OrHome(returnUrl));
    }
}
