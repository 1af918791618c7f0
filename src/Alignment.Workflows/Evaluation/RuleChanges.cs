using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// The change of every rule of a rule judge, policy against baseline on the same prompts: each rule's hit rate (a gate or
/// a rule with a positive score is better hit more often, a negative one less often, a zero-score rule is shown only),
/// and the task score (the mean rule score), each with its paired 95% interval.
/// </summary>
public static class RuleChanges
{
    public static IReadOnlyList<MetricChange> Of(RuleJudge judge, IReadOnlyList<string> prompts, IReadOnlyList<string> policy, IReadOnlyList<string> baseline)
    {
        var policyHits = prompts.Select((p, i) => judge.Holds(p, policy[i])).ToList();
        var baselineHits = prompts.Select((p, i) => judge.Holds(p, baseline[i])).ToList();
        var changes = new List<MetricChange>();
        for (int r = 0; r < judge.Rules.Count; r++)
        {
            var rule = judge.Rules[r];
            var better = rule.Gate || rule.Score > 0 ? Better.Higher : rule.Score < 0 ? Better.Lower : Better.Neither;
            changes.Add(MetricChange.Paired(judge.RuleName(r), "rule", better, "rate",
                policyHits.Select(h => h[r] ? 1.0 : 0.0).ToList(), baselineHits.Select(h => h[r] ? 1.0 : 0.0).ToList()));
        }
        changes.Add(MetricChange.Paired("task score (mean rule score)", "metric", Better.Higher, "value",
            prompts.Select((p, i) => judge.ScoreOf(p, policy[i])).ToList(), prompts.Select((p, i) => judge.ScoreOf(p, baseline[i])).ToList()));
        return changes;
    }
}
