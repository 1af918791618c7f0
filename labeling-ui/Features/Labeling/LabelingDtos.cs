using Alignment.Data.Labeling;
using Alignment.Data.Model;

namespace Alignment.LabelingUi.Features.Labeling;

/// <summary>An item to judge, as an annotator sees it: no model names, no A/B identity, no gold flag.</summary>
/// <param name="AssignmentId">Pass back to submit or skip.</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="Left">The answer shown on the left.</param>
/// <param name="Right">The answer shown on the right.</param>
/// <param name="LeaseExpiresAt">Submit before this instant.</param>
public sealed record ItemResponse(long AssignmentId, string Prompt, string Left, string Right, DateTimeOffset LeaseExpiresAt)
{
    /// <summary>The annotator-facing view of a queue item.</summary>
    public static ItemResponse From(QueueItem item) =>
        new(item.AssignmentId, item.Prompt, item.LeftText, item.RightText, item.LeaseExpiresAt);
}

/// <summary>A judgment in the annotator's frame.</summary>
/// <param name="Choice"><c>left</c>, <c>right</c>, <c>tie</c> or <c>both_bad</c>.</param>
/// <param name="Strength">−3 = left much better … +3 = right much better; 0 for tie and both_bad.</param>
/// <param name="Rationale">Optional free text.</param>
/// <param name="Helpful">Optional 1–5.</param>
/// <param name="Harmless">Optional 1–5.</param>
/// <param name="Honest">Optional 1–5.</param>
/// <param name="TimeMs">Time spent in milliseconds.</param>
public sealed record SubmitRequest(string? Choice, int Strength = 0, string? Rationale = null,
    int? Helpful = null, int? Harmless = null, int? Honest = null, long TimeMs = 0)
{
    /// <summary>The store's input; throws <see cref="InvalidRequestException"/> for an unknown choice.</summary>
    public JudgmentInput ToInput() => new(Choices.Parse(Choice), Strength, Rationale,
        Helpful is null && Harmless is null && Honest is null ? null : new AspectRatings(Helpful, Harmless, Honest), TimeMs);
}

/// <summary>What a submission stored.</summary>
/// <param name="JudgmentId">The judgment.</param>
/// <param name="Replayed">True when the Idempotency-Key matched an earlier submission and nothing new was written.</param>
public sealed record SubmitResponse(long JudgmentId, bool Replayed);

/// <summary>Progress in a project.</summary>
/// <param name="Mine">Judgments by the caller.</param>
/// <param name="Comparisons">Regular comparisons.</param>
/// <param name="CompletedComparisons">Comparisons with k judgments.</param>
/// <param name="Judgments">Active judgments on regular comparisons.</param>
/// <param name="RequiredJudgments">Comparisons × k.</param>
/// <param name="Fraction">Judgments / required, 0..1.</param>
public sealed record ProgressResponse(long Mine, long Comparisons, long CompletedComparisons, long Judgments, long RequiredJudgments, double Fraction)
{
    /// <summary>From the store's progress.</summary>
    public static ProgressResponse From(LabelingProgress p) =>
        new(p.MyJudgments, p.Comparisons, p.CompletedComparisons, p.ActiveJudgments, p.RequiredJudgments, Math.Round(p.Fraction, 4));
}

/// <summary>The choice words of the API and forms.</summary>
public static class Choices
{
    /// <summary>Parses <c>left</c>, <c>right</c>, <c>tie</c>, <c>both_bad</c> (case-insensitive).</summary>
    public static ShownChoice Parse(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        "left" => ShownChoice.Left,
        "right" => ShownChoice.Right,
        "tie" => ShownChoice.Tie,
        "both_bad" or "both-bad" => ShownChoice.BothBad,
        null or "" => throw new InvalidRequestException("choice is required: left, right, tie or both_bad."),
        _ => throw new InvalidRequestException($"choice '{text}' is not one of left, right, tie, both_bad."),
    };
}
