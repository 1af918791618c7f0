using Alignment.LabelingUi.Hosting;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Components.Server;

namespace Alignment.LabelingUi.Auth;

/// <summary>
/// The session check of <see cref="SessionValidator"/> for interactive pages, whose circuit outlives the request that
/// opened it: every <see cref="AccessSettings.SessionCacheSeconds"/> seconds the user is checked again, and a rotated
/// token, a disabled account or a sign-out elsewhere turns the open page into the signed-out view.
/// </summary>
public sealed class CircuitSessionRevalidator(ILoggerFactory loggers, SessionValidator sessions, AccessSettings settings)
    : RevalidatingServerAuthenticationStateProvider(loggers)
{
    /// <inheritdoc />
    protected override TimeSpan RevalidationInterval => TimeSpan.FromSeconds(Math.Max(1, settings.SessionCacheSeconds));

    /// <inheritdoc />
    protected override Task<bool> ValidateAuthenticationStateAsync(AuthenticationState state, CancellationToken cancellationToken) =>
        Task.FromResult(state.User.Identity?.IsAuthenticated != true || sessions.IsValid(state.User));
}
