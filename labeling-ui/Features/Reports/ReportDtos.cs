using Alignment.Data.Model;

namespace Alignment.LabelingUi.Features.Reports;

/// <summary>An admin's settling judgment of a disagreement (A/B frame).</summary>
/// <param name="Outcome"><c>A</c>, <c>B</c>, <c>tie</c> or <c>both_bad</c>.</param>
/// <param name="Strength">−3 = A much better … +3 = B much better; 0 for tie and both_bad.</param>
/// <param name="Note">Optional note.</param>
public sealed record AdjudicationRequest(string? Outcome, int Strength = 0, string? Note = null)
{
    /// <summary>The parsed outcome; throws <see cref="InvalidRequestException"/>.</summary>
    public Outcome ParsedOutcome() => OutcomeCodes.TryParse(Outcome, out var outcome)
        ? outcome
        : throw new InvalidRequestException(string.IsNullOrWhiteSpace(Outcome)
            ? "outcome is required: A, B, tie or both_bad."
            : $"outcome '{Outcome}' is not one of A, B, tie, both_bad.");
}

/// <summary>The stored adjudication.</summary>
public sealed record AdjudicationResponse(long AdjudicationId, long ComparisonId, string Outcome, int Strength);
