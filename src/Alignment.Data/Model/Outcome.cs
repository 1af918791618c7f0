namespace Alignment.Data.Model;

/// <summary>A judgment's outcome relative to the comparison's underlying responses A and B.</summary>
public enum Outcome
{
    /// <summary>Response A is better.</summary>
    A,
    /// <summary>Response B is better.</summary>
    B,
    /// <summary>Both are equally good.</summary>
    Tie,
    /// <summary>Both are unacceptable.</summary>
    BothBad,
}

/// <summary>What the annotator chose, in the left/right frame they were shown.</summary>
public enum ShownChoice
{
    /// <summary>The answer shown on the left is better.</summary>
    Left,
    /// <summary>The answer shown on the right is better.</summary>
    Right,
    /// <summary>Equally good.</summary>
    Tie,
    /// <summary>Both unacceptable.</summary>
    BothBad,
}

/// <summary>Text codes stored in the database and written to exports for <see cref="Outcome"/>.</summary>
public static class OutcomeCodes
{
    /// <summary>The stored code: <c>A</c>, <c>B</c>, <c>tie</c>, <c>both_bad</c>.</summary>
    public static string ToCode(this Outcome outcome) => outcome switch
    {
        Outcome.A => "A",
        Outcome.B => "B",
        Outcome.Tie => "tie",
        Outcome.BothBad => "both_bad",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, null),
    };

    /// <summary>Parses a stored code (case-insensitive; also accepts <c>both-bad</c> and <c>bothbad</c>).</summary>
    public static Outcome Parse(string code) => TryParse(code, out var outcome)
        ? outcome
        : throw new FormatException($"'{code}' is not an outcome; expected A, B, tie or both_bad.");

    /// <summary>Parses a stored code without throwing.</summary>
    public static bool TryParse(string? code, out Outcome outcome)
    {
        switch (code?.Trim().ToLowerInvariant())
        {
            case "a": outcome = Outcome.A; return true;
            case "b": outcome = Outcome.B; return true;
            case "tie": outcome = Outcome.Tie; return true;
            case "both_bad" or "both-bad" or "bothbad": outcome = Outcome.BothBad; return true;
            default: outcome = default; return false;
        }
    }
}
