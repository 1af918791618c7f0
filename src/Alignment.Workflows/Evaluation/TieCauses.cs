using System.Text.Json.Nodes;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// Why the ties of an evaluation are ties (each counts half a win in the win rate): both models gave the same answer;
/// both answers were bad (they fail a gate of the rule judge, or both score below its <c>bothBadBelow</c>), which is no
/// preference for either; or the answers differ but the judge scored them equal.
/// </summary>
public sealed record TieCauses(int SameAnswer, int BothBad, int EqualScore)
{
    public int Total => SameAnswer + BothBad + EqualScore;

    /// <summary>report.json's <c>ties_by_cause</c>: <c>{"same_answer", "both_bad", "equal_score"}</c>.</summary>
    public JsonObject ToJson() => new() { ["same_answer"] = SameAnswer, ["both_bad"] = BothBad, ["equal_score"] = EqualScore };
}
