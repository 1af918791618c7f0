using Alignment.Data.Model;

namespace Alignment.Workflows.Judging;

/// <summary>
/// The <c>length</c> judge: prefers the longer answer (a common, if naive, proxy for helpfulness; useful as a
/// baseline and for smoke runs). Equal lengths tie; strength grows with the relative difference: 1 below 25%,
/// 2 below 50%, else 3.
/// </summary>
public sealed class LengthJudge : IScriptedJudge
{
    public string Name => "length";

    /// <summary>The length judge has no settings; "v1" names its one rule.</summary>
    public string Fingerprint => "v1";

    public JudgeVerdict Judge(string prompt, string left, string right)
    {
        if (left.Length == right.Length) return new JudgeVerdict(ShownChoice.Tie, 0, $"both {left.Length} characters");
        double relative = Math.Abs(left.Length - right.Length) / (double)Math.Max(left.Length, right.Length);
        int strength = relative < 0.25 ? 1 : relative < 0.5 ? 2 : 3;
        string rationale = $"left {left.Length} characters, right {right.Length}";
        return right.Length > left.Length
            ? new JudgeVerdict(ShownChoice.Right, strength, rationale)
            : new JudgeVerdict(ShownChoice.Left, -strength, rationale);
    }
}
