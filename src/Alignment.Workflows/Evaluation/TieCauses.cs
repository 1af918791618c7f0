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

    /// <summary>The causes of the ties among <paramref name="outcomes"/> (0 = tie): the same answer, else one the judge
    /// called both bad, else an equal score.</summary>
    public static TieCauses Of(IReadOnlyList<int> outcomes, IReadOnlyList<string> policy, IReadOnlyList<string> other, IReadOnlyList<bool> bothBad)
    {
        int same = 0, bad = 0, equal = 0;
        for (int i = 0; i < outcomes.Count; i++)
        {
            if (outcomes[i] != 0) continue;
            if (policy[i] == other[i]) same++;
            else if (bothBad[i]) bad++;
            else equal++;
        }
        return new TieCauses(same, bad, equal);
    }

    /// <summary>report.json's <c>ties_by_cause</c>: <c>{"same_answer", "both_bad", "equal_score"}</c>.</summary>
    public JsonObject ToJson() => new() { ["same_answer"] = SameAnswer, ["both_bad"] = BothBad, ["equal_score"] = EqualScore };
}
