using System.Text.Json.Nodes;

namespace Alignment.Workflows.Activities;

/// <summary>
/// Where a suspended instance waits: <paramref name="Kind"/> names what it waits for (e.g. <c>judgments</c>),
/// <paramref name="Payload"/> what a waker needs (e.g. the project name), <paramref name="Message"/> what
/// <c>align status</c> shows ("12 of 40 comparisons have their 2 judgments").
/// </summary>
public sealed record Bookmark(string Kind, JsonObject Payload, string Message);

/// <summary>How a stage run ended: completed (its outputs are set) or suspended on a bookmark.</summary>
public sealed record StageResult(Bookmark? Bookmark)
{
    /// <summary>The stage finished; its outputs are set.</summary>
    public static StageResult Completed { get; } = new((Bookmark?)null);

    /// <summary>
    /// The stage waits for something outside the process (human judgments). The instance suspends; <c>align resume</c>
    /// runs the stage again, which either completes or suspends again.
    /// </summary>
    public static StageResult Suspend(Bookmark bookmark) => new(bookmark);
}

/// <summary>A failure worth retrying (a busy database, a flaky file system): the engine retries with exponential backoff.</summary>
public sealed class TransientStageException(string message, Exception? inner = null) : Exception(message, inner), IUserFacingError;
