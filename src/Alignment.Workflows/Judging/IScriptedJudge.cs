using Alignment.Data.Model;

namespace Alignment.Workflows.Judging;

/// <summary>A scripted judge's decision, in the frame it was shown (left/right), like a human annotator's.</summary>
/// <param name="Choice">Left, Right, Tie or BothBad.</param>
/// <param name="Strength">Signed strength −3..3: negative favours left, positive right; 0 for Tie and BothBad.</param>
/// <param name="Rationale">Why (e.g. the rules that matched).</param>
public sealed record JudgeVerdict(ShownChoice Choice, int Strength, string Rationale);

/// <summary>
/// A judge that labels comparisons without a person, for unattended runs. It sees what an annotator sees (the
/// prompt and two answers, sides randomized) and must be deterministic: the same texts give the same verdict, so a
/// rerun gives the same judgments. CollectJudgments submits its verdicts through the labeling queue as annotator
/// <c>judge:&lt;name&gt;@&lt;fingerprint&gt;#&lt;i&gt;</c> (one per judgment wanted per comparison).
/// </summary>
public interface IScriptedJudge
{
    /// <summary>The judge's name as written in definitions (<c>judge</c> input).</summary>
    string Name { get; }

    /// <summary>
    /// A short hash of everything the verdicts depend on (a rule file's rules and reference answers): CollectJudgments
    /// labels as <c>judge:&lt;name&gt;@&lt;fingerprint&gt;#i</c>, so a changed configuration is a new judge whose verdicts
    /// replace the old one's instead of being skipped as already judged.
    /// </summary>
    string Fingerprint { get; }

    JudgeVerdict Judge(string prompt, string left, string right);
}
