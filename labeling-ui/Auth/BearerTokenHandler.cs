using System.Text.Encodings.Web;
using Alignment.Data.Annotators;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Alignment.LabelingUi.Auth;

/// <summary>
/// <c>Authorization: Bearer &lt;token&gt;</c> for the REST API: the token (printed once by <c>align annotators add</c>) is
/// hashed and looked up by <see cref="AnnotatorService.Authenticate"/>; disabled accounts fail. Challenges and refusals
/// answer with ProblemDetails JSON that says what is wrong. The token itself is never logged or echoed.
/// </summary>
public sealed class BearerTokenHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    AnnotatorService annotators, IProblemDetailsService problems)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private const string Prefix = "Bearer ";

    /// <inheritdoc />
    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrWhiteSpace(header))
            return Task.FromResult(AuthenticateResult.NoResult());
        if (!header.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
            return Task.FromResult(AuthenticateResult.Fail("The Authorization header must be 'Bearer <token>'."));
        var annotator = annotators.Authenticate(header[Prefix.Length..].Trim());
        if (annotator is null)
            return Task.FromResult(AuthenticateResult.Fail("The token is not valid: it is unknown, was replaced, or its account is disabled."));
        return Task.FromResult(AuthenticateResult.Success(
            new AuthenticationTicket(CurrentAnnotator.Principal(annotator, Scheme.Name), Scheme.Name)));
    }

    /// <inheritdoc />
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        Response.Headers.WWWAuthenticate = "Bearer";
        await Write(StatusCodes.Status401Unauthorized, "unauthorized", result.Failure?.Message
            ?? "This API needs a login token: send 'Authorization: Bearer <token>' (`align annotators add NAME` prints one).");
    }

    /// <inheritdoc />
    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Write(StatusCodes.Status403Forbidden, "forbidden", "This needs an admin account.");

    private async Task Write(int status, string code, string detail)
    {
        Response.StatusCode = status;
        await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = Context,
            ProblemDetails = { Status = status, Title = code, Detail = detail, Extensions = { ["code"] = code } },
        });
    }
}
