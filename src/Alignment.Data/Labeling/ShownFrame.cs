using Alignment.Data.Model;

namespace Alignment.Data.Labeling;

/// <summary>
/// Converts between what the annotator saw (left/right) and what is stored (A/B). When the left answer is
/// response A, left = A and strengths keep their sign; otherwise left = B and strengths flip.
/// Stored strength: −3 = A much better … +3 = B much better.
/// </summary>
public static class ShownFrame
{
    /// <summary>The stored outcome and strength for a shown choice and signed shown strength.</summary>
    public static (Outcome Outcome, int Strength) ToUnderlying(ShownChoice choice, int shownStrength, bool leftIsA)
    {
        var outcome = choice switch
        {
            ShownChoice.Left => leftIsA ? Outcome.A : Outcome.B,
            ShownChoice.Right => leftIsA ? Outcome.B : Outcome.A,
            ShownChoice.Tie => Outcome.Tie,
            ShownChoice.BothBad => Outcome.BothBad,
            _ => throw new ArgumentOutOfRangeException(nameof(choice), choice, null),
        };
        return (outcome, leftIsA ? shownStrength : -shownStrength);
    }

    /// <summary>The shown choice and strength for a stored outcome and strength (inverse of <see cref="ToUnderlying"/>).</summary>
    public static (ShownChoice Choice, int Strength) ToShown(Outcome outcome, int strength, bool leftIsA)
    {
        var choice = outcome switch
        {
            Outcome.A => leftIsA ? ShownChoice.Left : ShownChoice.Right,
            Outcome.B => leftIsA ? ShownChoice.Right : ShownChoice.Left,
            Outcome.Tie => ShownChoice.Tie,
            Outcome.BothBad => ShownChoice.BothBad,
            _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
        };
        return (choice, leftIsA ? strength : -strength);
    }

    /// <summary>
    /// Throws <see cref="InvalidRequestException"/> unless the input is consistent: strength within
    /// ±<paramref name="strengthMax"/>, its sign agreeing with the choice, aspects 1..5, sane time and rationale.
    /// </summary>
    public static void Validate(JudgmentInput input, int strengthMax)
    {
        if (!Enum.IsDefined(input.Choice))
            throw new InvalidRequestException($"Unknown choice {(int)input.Choice}.");
        if (Math.Abs(input.Strength) > strengthMax)
            throw new InvalidRequestException($"strength must be between -{strengthMax} and {strengthMax} (got {input.Strength}).");
        switch (input.Choice)
        {
            case ShownChoice.Left when input.Strength > 0:
                throw new InvalidRequestException($"strength {input.Strength} points right but the choice is left; use -1..-3 for left.");
            case ShownChoice.Right when input.Strength < 0:
                throw new InvalidRequestException($"strength {input.Strength} points left but the choice is right; use 1..3 for right.");
            case ShownChoice.Tie or ShownChoice.BothBad when input.Strength != 0:
                throw new InvalidRequestException("strength must be 0 for tie and both_bad.");
        }
        if (input.TimeMs is < 0 or > 24L * 3600 * 1000)
            throw new InvalidRequestException($"time_ms must be between 0 and 86400000 (got {input.TimeMs}).");
        if (input.Rationale is { Length: > 10_000 })
            throw new InvalidRequestException("The rationale is longer than 10,000 characters.");
        CheckAspect("helpful", input.Aspects?.Helpful);
        CheckAspect("harmless", input.Aspects?.Harmless);
        CheckAspect("honest", input.Aspects?.Honest);
    }

    private static void CheckAspect(string name, int? value)
    {
        if (value is < 1 or > 5)
            throw new InvalidRequestException($"{name} must be between 1 and 5 (got {value}).");
    }
}
