using System.Security.Claims;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.LabelingUi.Auth;
using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Alignment.LabelingUi.Features.Account;

/// <summary>The caller's identity (<c>GET /api/me</c>) and signing out of the pages (<c>POST /signout</c>). Sign-in is <c>SignIn.razor</c>.</summary>
public static class AccountEndpoints
{
    /// <summary>Who a token or cookie belongs to.</summary>
    /// <param name="Id">Account id.</param>
    /// <param name="Name">Account name.</param>
    /// <param name="Role"><c>admin</c> or <c>annotator</c>.</param>
    public sealed record MeResponse(long Id, string Name, string Role);

    /// <summary>Maps the account routes.</summary>
    public static IEndpointRouteBuilder MapAccount(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api").RequireAuthorization(AuthPolicies.ApiAnnotator).WithTags("Account")
            .MapGet("/me", Me);
        app.MapPost("/signout", (Delegate)SignOut).RequireAuthorization(AuthPolicies.Annotator).RequireAntiforgeryToken();
        return app;
    }

    /// <summary>GET /api/me.</summary>
    public static Ok<MeResponse> Me(ClaimsPrincipal user) =>
        TypedResults.Ok(new MeResponse(user.AnnotatorId(), user.DisplayName(), user.IsAdmin() ? AnnotatorRole.Admin.ToCode() : AnnotatorRole.Annotator.ToCode()));

    /// <summary>
    /// POST /signout: ends the cookie session, and with a new security stamp every other session of the account too (a copy
    /// of the cookie stops working). The login token keeps working.
    /// </summary>
    public static async Task<RedirectHttpResult> SignOut(HttpContext context, AnnotatorService annotators)
    {
        annotators.EndSessions(context.User.AnnotatorId());
        await context.SignOutAsync(AuthSchemes.Cookie);
        return TypedResults.Redirect(AuthSetup.SignInPath);
    }
}
