using System.Collections.Concurrent;
using System.Security.Claims;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Store;
using Alignment.LabelingUi.Hosting;

namespace Alignment.LabelingUi.Auth;

/// <summary>
/// Checks a sign-in cookie on every request: its account must exist, be active, have the same role, and have the
/// security stamp the cookie was issued with (a new one comes with token rotation, disable, enable and sign-out).
/// The account's state is cached per account for <see cref="AccessSettings.SessionCacheSeconds"/>; a change made in
/// this process (the API, the admin pages, sign-out) empties the cache at once, a change by another process (the
/// <c>align</c> CLI on the same home) shows within that time.
/// </summary>
public sealed class SessionValidator(AnnotatorService annotators, AlignStore store, AccessSettings settings)
{
    private readonly ConcurrentDictionary<long, Entry> _cache = new();

    private sealed record Entry(SessionState? State, DateTimeOffset At, long Revision);

    /// <summary>Whether the cookie's principal is still a valid session.</summary>
    public bool IsValid(ClaimsPrincipal user)
    {
        if (!long.TryParse(user.FindFirstValue(ClaimTypes.NameIdentifier), out var id) || user.SecurityStamp() is not { } stamp)
            return false;
        var state = Current(id);
        return state is { IsActive: true } &&
               state.Role.ToCode() == (user.IsAdmin() ? AnnotatorRole.Admin.ToCode() : AnnotatorRole.Annotator.ToCode()) &&
               string.Equals(state.SecurityStamp, stamp, StringComparison.Ordinal);
    }

    private SessionState? Current(long annotatorId)
    {
        var now = store.Clock.GetUtcNow();
        var revision = annotators.Revision;
        if (_cache.TryGetValue(annotatorId, out var entry) && entry.Revision == revision &&
            now - entry.At < TimeSpan.FromSeconds(settings.SessionCacheSeconds))
            return entry.State;
        var state = annotators.SessionOf(annotatorId);
        _cache[annotatorId] = new Entry(state, now, revision);
        return state;
    }
}
