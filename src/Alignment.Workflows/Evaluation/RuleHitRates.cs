using System.Text.Json.Nodes;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Evaluation;

/// <summary>One rule's hit rates: the share of policy and baseline answers for which it holds.</summary>
/// <param name="Name">The rule's name.</param>
/// <param name="Score">Points the rule gives when it holds.</param>
/// <param name="PolicyRate">Share of the policy's answers it holds for.</param>
/// <param name="BaselineRate">Share of the baseline's answers it holds for.</param>
public sealed record RuleRate(string Name, double Score, double PolicyRate, double BaselineRate);

/// <summary>
/// The task's own metric under a rule judge: per rule, the share of answers it holds for (policy and baseline), and the
/// mean rule score of each side (the mean over prompts of the sum of the scores of the rules an answer satisfies, the
/// same score <see cref="RuleJudge"/> compares). Unlike the win rate it says what changed: "right sum 0.92 → 0.95,
/// chatty 0.80 → 0.02".
/// </summary>
/// <param name="PolicyScore">Mean rule score of the policy's answers.</param>
/// <param name="BaselineScore">Mean rule score of the baseline's answers.</param>
/// <param name="Rules">Per-rule rates, in rule-file order.</param>
public sealed record RuleHitRates(double PolicyScore, double BaselineScore, IReadOnlyList<RuleRate> Rules)
{
    /// <summary>Computes the rates over aligned lists: <paramref name="prompts"/>[i] was answered <paramref name="policy"/>[i]
    /// and <paramref name="baseline"/>[i]. With no prompts every rate and score is 0.</summary>
    public static RuleHitRates Compute(RuleJudge judge, IReadOnlyList<string> prompts, IReadOnlyList<string> policy, IReadOnlyList<string> baseline)
    {
        if (policy.Count != prompts.Count || baseline.Count != prompts.Count)
            throw new ArgumentException($"{prompts.Count} prompts but {policy.Count} policy and {baseline.Count} baseline answers");
        int rules = judge.Rules.Count, n = prompts.Count;
        var policyHits = new int[rules];
        var baselineHits = new int[rules];
        double policyTotal = 0, baselineTotal = 0;
        for (int i = 0; i < n; i++)
        {
            policyTotal += Tally(judge, judge.Holds(prompts[i], policy[i]), policyHits);
            baselineTotal += Tally(judge, judge.Holds(prompts[i], baseline[i]), baselineHits);
        }
        double Rate(int hits) => n == 0 ? 0 : hits / (double)n;
        var rates = Enumerable.Range(0, rules)
            .Select(r => new RuleRate(judge.RuleName(r), judge.Rules[r].Score, Rate(policyHits[r]), Rate(baselineHits[r])))
            .ToList();
        return new RuleHitRates(n == 0 ? 0 : policyTotal / n, n == 0 ? 0 : baselineTotal / n, rates);
    }

    /// <summary>The report.json shape: <c>{"policyScore", "baselineScore", "rules": [{"name", "score", "policyRate", "baselineRate"}]}</c>.</summary>
    public JsonObject ToJson() => new()
    {
        ["policyScore"] = PolicyScore,
        ["baselineScore"] = BaselineScore,
        ["rules"] = new JsonArray(Rules.Select(r => (JsonNode)new JsonObject
        {
            ["name"] = r.Name, ["score"] = r.Score, ["policyRate"] = r.PolicyRate, ["baselineRate"] = r.BaselineRate,
        }).ToArray()),
    };

    private static double Tally(RuleJudge judge, bool[] holds, int[] hits)
    {
        double score = 0;
        for (int r = 0; r < holds.Length; r++)
        {
            if (!holds[r]) continue;
            hits[r]++;
            score += judge.Rules[r].Score;
        }
        return score;
    }
}
