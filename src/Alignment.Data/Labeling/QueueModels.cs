namespace Alignment.Data.Labeling;

/// <summary>
/// The item an annotator labels next, as they see it: the prompt and two answers in the left/right order
/// chosen for them. Carries no model names, no A/B identity and no gold flag.
/// </summary>
/// <param name="AssignmentId">Pass back to submit or skip.</param>
/// <param name="ComparisonId">The comparison (stable across annotators).</param>
/// <param name="Prompt">The prompt text.</param>
/// <param name="LeftText">The answer shown on the left.</param>
/// <param name="RightText">The answer shown on the right.</param>
/// <param name="LeaseExpiresAt">After this instant a submission is refused and the item returns to the pool.</param>
public sealed record QueueItem(long AssignmentId, long ComparisonId, string Prompt, string LeftText, string RightText, DateTimeOffset LeaseExpiresAt);

/// <summary>Optional 1–5 ratings of the preferred answer.</summary>
/// <param name="Helpful">Helpfulness, 1..5, or null.</param>
/// <param name="Harmless">Harmlessness, 1..5, or null.</param>
/// <param name="Honest">Honesty, 1..5, or null.</param>
public sealed record AspectRatings(int? Helpful = null, int? Harmless = null, int? Honest = null);

/// <summary>
/// A judgment as the annotator gives it, in the frame they were shown.
/// <see cref="Strength"/> is signed on the 7-point scale: −3 = left much better … 0 … +3 = right much better;
/// its sign must agree with <see cref="Choice"/> (Left: ≤ 0, Right: ≥ 0, Tie and BothBad: 0).
/// A strength of 0 with Left or Right means "negligibly better".
/// </summary>
/// <param name="Choice">Left, Right, Tie or BothBad.</param>
/// <param name="Strength">Signed strength in the shown frame, |strength| ≤ the project's strength max.</param>
/// <param name="Rationale">Free text, at most 10,000 characters.</param>
/// <param name="Aspects">Optional aspect ratings.</param>
/// <param name="TimeMs">Time the annotator spent, in milliseconds.</param>
public sealed record JudgmentInput(
    Model.ShownChoice Choice,
    int Strength = 0,
    string? Rationale = null,
    AspectRatings? Aspects = null,
    long TimeMs = 0);

/// <summary>The outcome of a submission.</summary>
/// <param name="JudgmentId">The stored judgment.</param>
/// <param name="Replayed">True when the idempotency key matched an earlier submission and nothing new was written.</param>
public sealed record SubmitResult(long JudgmentId, bool Replayed);

/// <summary>Progress of a project, overall and for one annotator. Gold items are not counted.</summary>
/// <param name="MyJudgments">Active judgments by the annotator (gold included).</param>
/// <param name="Comparisons">Regular comparisons in the project.</param>
/// <param name="CompletedComparisons">Comparisons with at least k active judgments.</param>
/// <param name="ActiveJudgments">Active judgments on regular comparisons.</param>
/// <param name="RequiredJudgments">Comparisons × k.</param>
public sealed record LabelingProgress(long MyJudgments, long Comparisons, long CompletedComparisons, long ActiveJudgments, long RequiredJudgments)
{
    /// <summary>Overall fraction done, 0..1 (judgments beyond k do not count twice).</summary>
    public double Fraction => RequiredJudgments == 0 ? 1.0 : Math.Min(1.0, (double)ActiveJudgments / RequiredJudgments);
}

/// <summary>A regular comparison that was skipped and still lacks judgments (admins only: it names no model).</summary>
/// <param name="ComparisonId">The comparison.</param>
/// <param name="Prompt">Its prompt text.</param>
/// <param name="Skips">How many annotators skipped it.</param>
/// <param name="Judged">Active judgments it has.</param>
/// <param name="Needed">Judgments it needs (the project's overlap k).</param>
public sealed record SkippedItem(long ComparisonId, string Prompt, long Skips, long Judged, long Needed);
