using System.Text.Json.Nodes;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// A policy against the model it was trained from (e.g. GRPO or PPO started from the DPO policy), on the same held-out
/// prompts, from that model's recorded answers (<see cref="RecordedAnswers"/>): with a scripted judge the win rate with
/// its 95% Wilson interval (sides drawn by the seed), every rule of a rule file and the task score, the text metrics,
/// the guard and the answer length, each with the paired 95% interval of the change. A policy can beat the baseline and
/// still lose what its start model had gained: every change whose interval lies wholly on the worse side is a regression
/// here exactly as against the baseline (<see cref="MetricChange.Verdict"/>).
/// </summary>
/// <param name="Model">How the start model's evaluation named it.</param>
/// <param name="Report">The start model's evaluation report (artifact hash).</param>
/// <param name="Win">The scripted judge's win rate against the start model; null for a reward-model or human judge.</param>
/// <param name="Ties">The ties of <paramref name="Win"/> by cause.</param>
/// <param name="Task">Rule hit rates and task score of the policy (policy side) and the start model (baseline side), when rules were given.</param>
/// <param name="Changes">Every rule and metric, regressions first.</param>
public sealed record StartComparison(string Model, string Report, WinRate? Win, TieCauses? Ties, RuleHitRates? Task, IReadOnlyList<MetricChange> Changes)
{
    public IReadOnlyList<MetricChange> Regressions => Changes.Where(c => c.Verdict == ChangeVerdict.Regression).ToList();

    /// <summary>Compares the policy's answers with the start model's recorded ones on the same prompts.</summary>
    /// <param name="report">The start model's evaluation report (artifact hash).</param>
    /// <param name="start">The start model's answers, token counts and guard values, as its evaluation recorded them.</param>
    /// <param name="judge">The scripted judge of the evaluation (null: no win rate).</param>
    /// <param name="rules">The rule file's judge, for the rule changes and task score (null: none).</param>
    /// <param name="seed">The seed that draws the policy's side (left or right) per prompt: the evaluation's own.</param>
    /// <param name="prompts">The held-out prompts, in the start model's order.</param>
    /// <param name="policy">The policy's answer to each prompt.</param>
    /// <param name="policyTokens">The policy's answer lengths in tokens.</param>
    /// <param name="references">The wanted answers (null: none given).</param>
    /// <param name="policyGuard">The policy's general-ability guard value per guard text.</param>
    /// <param name="guardTolerance">How much worse the guard may get before it counts as a regression.</param>
    public static StartComparison Of(string report, RecordedAnswers start, IScriptedJudge? judge, RuleJudge? rules, ulong seed,
                                     IReadOnlyList<string> prompts, IReadOnlyList<string> policy, IReadOnlyList<int> policyTokens,
                                     IReadOnlyList<string>? references, IReadOnlyList<double> policyGuard, double guardTolerance)
    {
        WinRate? win = null;
        TieCauses? ties = null;
        if (judge is not null)
        {
            var (outcomes, bothBad) = ScriptedVerdicts.Judge(judge, seed, prompts, policy, start.Answers);
            win = WinRate.From(outcomes.Count(o => o > 0), outcomes.Count(o => o == 0), outcomes.Count(o => o < 0));
            ties = TieCauses.Of(outcomes, policy, start.Answers, bothBad);
        }
        var changes = new List<MetricChange>();
        RuleHitRates? task = null;
        if (rules is not null)
        {
            changes.AddRange(RuleChanges.Of(rules, prompts, policy, start.Answers));
            task = RuleHitRates.Compute(rules, prompts, policy, start.Answers);
        }
        changes.AddRange(AnswerChanges.Of(policy, start.Answers, references, policyGuard, start.GuardNll, guardTolerance, policyTokens, start.Tokens));
        return new StartComparison(start.Model, report, win, ties, task, changes.OrderBy(c => c.Verdict == ChangeVerdict.Regression ? 0 : 1).ToList());
    }

    /// <summary>report.json's <c>start</c>: <c>{"model", "report", "win_rate", "win_rate_low", "win_rate_high", "wins", "ties", "losses",
    /// "ties_by_cause", "task", "changes", "regressions"}</c> (the win-rate keys only with a scripted judge, <c>task</c> only with rules).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject { ["model"] = Model, ["report"] = Report };
        if (Win is not null)
        {
            json["win_rate"] = Win.Rate; json["win_rate_low"] = Win.Low; json["win_rate_high"] = Win.High;
            json["wins"] = Win.Wins; json["ties"] = Win.Ties; json["losses"] = Win.Losses;
            json["ties_by_cause"] = Ties!.ToJson();
        }
        if (Task is not null) json["task"] = Task.ToJson();
        json["changes"] = new JsonArray(Changes.Select(c => (JsonNode)c.ToJson()).ToArray());
        json["regressions"] = new JsonArray(Regressions.Select(c => (JsonNode)c.Name).ToArray());
        return json;
    }
}
