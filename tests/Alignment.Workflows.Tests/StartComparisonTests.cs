using System.Text.Json.Nodes;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Judging;
using Alignment.Workflows.Reporting;

namespace Alignment.Workflows.Tests;

// A policy trained from another (GRPO from DPO) is compared with the model it started from too, from that model's
// recorded answers: a policy that loses what its start model had is shown regressing, whatever it does against the
// baseline. Every number below is computed by hand from the answers.
public sealed class StartComparisonTests
{
    private static readonly string[] Prompts = PlantedRegressionTests.Prompts;

    private static RuleJudge Judge() => PlantedRegressionTests.Judge();

    // Start model: right in the house style on prompts 2–8, wrong (9 for 1 + 1) in the house style on prompt 1.
    // Policy: right on all 8, in the house style on 1–4, chatty on 5–8 (it lost half the start model's house style).
    private static readonly string[] Start = Enumerable.Range(1, 8).Select(i => $"The answer is {(i == 1 ? 9 : i + 1)}.").ToArray();
    private static readonly string[] Policy = Enumerable.Range(1, 8).Select(i => i <= 4 ? $"The answer is {i + 1}." : $"Sure! The answer is {i + 1}.").ToArray();
    private static readonly double[] StartGuard = [1.0, 1.1, 1.05];
    private static readonly double[] PolicyGuard = [1.2, 1.4, 1.3];

    private static StartComparison Compare(RecordedAnswers start)
    {
        var judge = Judge();
        return StartComparison.Of("0123456789abcdef", start, judge, judge, seed: 5, Prompts, Policy, Policy.Select(a => a.Length).ToList(),
                                  references: null, PolicyGuard, guardTolerance: 0.05);
    }

    [Fact]
    public void Win_rate_rule_and_guard_changes_against_the_start_model_equal_the_hand_computation()
    {
        var c = Compare(new RecordedAnswers("dpo.model 0123456789ab", Start, Start.Select(a => a.Length).ToList(), StartGuard));

        // Win rate: prompt 1 the policy wins (the start model fails the right-sum gate), 2–4 the same answer (ties),
        // 5–8 the start model wins (5 points against 3 − 1 = 2): 1 / 3 / 4, p̂ = (1 + 1.5) / 8 = 0.3125. Wilson, n = 8,
        // z = 1.959964: centre (0.3125 + z²/16) / (1 + z²/8) = 0.3733, half width z·√(p̂(1 − p̂)/8 + z²/256) / (1 + z²/8)
        // = 0.2709 → 0.102408 to 0.644245.
        Assert.Equal((1, 3, 4), (c.Win!.Wins, c.Win.Ties, c.Win.Losses));
        Assert.Equal(0.3125, c.Win.Rate, 12);
        Assert.Equal(0.102408, c.Win.Low, 5);
        Assert.Equal(0.644245, c.Win.High, 5);
        Assert.Equal(new TieCauses(3, 0, 0), c.Ties);

        var byName = c.Changes.ToDictionary(x => x.Name);
        // right sum 7/8 → 8/8: d = 1 on prompt 1, else 0; mean 0.125, s = √(0.875/7) = 0.353553, se = 0.125, t(0.975, 7)
        // = 2.364624 → half width 0.295578: −0.170578 to 0.420578, the high end clipped to 1 − 0.875. Not a regression.
        var right = byName["right sum"];
        Assert.Equal((0.875, 1.0, 0.125), (right.Baseline, right.Policy, right.Delta));
        Assert.Equal(-0.170578, right.Low, 6);
        Assert.Equal(0.125, right.High, 9);
        Assert.Equal(ChangeVerdict.NoClearChange, right.Verdict);
        // house style 8/8 → 4/8: d = −1 on four prompts; mean −0.5, s = √(2/7) = 0.534522, se = 0.188982, half width
        // 0.446872: −0.946872 to −0.053128, wholly worse: a regression, although the policy gained right sums.
        var house = byName["house style"];
        Assert.Equal(-0.5, house.Delta, 12);
        Assert.Equal(-0.946872, house.Low, 6);
        Assert.Equal(-0.053128, house.High, 6);
        Assert.Equal(ChangeVerdict.Regression, house.Verdict);
        Assert.Equal("REGRESSION house style 100.0% → 50.0% (−50.0 points, 95% CI −94.7 to −5.3)", ChangeText.Regression(house));
        // chatty (a penalty) 0 → 4/8: +0.5, 0.053128 to 0.946872, wholly worse for a rule that costs points.
        Assert.Equal(ChangeVerdict.Regression, byName["chatty"].Verdict);
        Assert.Equal(0.053128, byName["chatty"].Low, 6);
        // task score: start 2 (prompt 1: house style only) and 5 × 7, policy 5 × 4 and 2 × 4; d = 3, 0, 0, 0, −3 × 4:
        // mean −1.125, s = √(34.875/7) = 2.232071, half width 1.866058 → −2.991058 to 0.741058: no clear change.
        var task = byName["task score (mean rule score)"];
        Assert.Equal(-1.125, task.Delta, 12);
        Assert.Equal(-2.991058, task.Low, 5);
        Assert.Equal(0.741058, task.High, 5);
        Assert.Equal(ChangeVerdict.NoClearChange, task.Verdict);
        Assert.Equal((2 + 5 * 7) / 8.0, c.Task!.BaselineScore, 12);
        // guard NLL 1.05 → 1.30 per token: d = 0.2, 0.3, 0.25; mean 0.25, s = 0.05, se = 0.028868, t(0.975, 2) = 4.302653
        // → 0.125793 to 0.374207, wholly beyond the 0.05 tolerance on the worse side: a regression.
        var guard = byName[AnswerChanges.GuardName];
        Assert.Equal(0.25, guard.Delta, 12);
        Assert.Equal(0.125793, guard.Low, 6);
        Assert.Equal(0.374207, guard.High, 6);
        Assert.Equal(ChangeVerdict.Regression, guard.Verdict);

        Assert.Equal(["chatty", AnswerChanges.GuardName, "house style"], c.Regressions.Select(x => x.Name).Order(StringComparer.Ordinal));
        Assert.Equal(ChangeVerdict.Regression, c.Changes[0].Verdict);   // regressions first
        Assert.Equal(ChangeVerdict.Regression, c.Changes[2].Verdict);
    }

    [Fact]
    public void The_start_models_answers_are_read_from_its_report_and_the_comparison_is_written_into_the_new_one()
    {
        string root = Path.Combine(Path.GetTempPath(), "align-start", Guid.NewGuid().ToString("N"));
        string startDir = Path.Combine(root, "start"), policyDir = Path.Combine(root, "policy");
        Directory.CreateDirectory(startDir);
        Directory.CreateDirectory(policyDir);
        try
        {
            // The start model's own evaluation (against some baseline): its policy answers are the start answers.
            ReportWriter.Write(startDir, new EvaluationReport
            {
                Summary = new JsonObject
                {
                    ["policy"] = "dpo.model 0123456789ab", ["judge"] = "rules", ["prompts"] = 8,
                    ["guard"] = new JsonObject
                    {
                        ["answers"] = new JsonArray(StartGuard.Select((nll, i) => (JsonNode)new JsonObject { ["prompt"] = $"guard {i}", ["policy_nll"] = nll, ["baseline_nll"] = 9.0 }).ToArray()),
                    },
                },
                Answers = Prompts.Select((p, i) => new EvaluatedAnswer(p, Start[i], "Sure! whatever", Start[i].Length, 3, 1)).ToList(),
            });
            var recorded = RecordedAnswers.Read(startDir, "start", Prompts, ["guard 0", "guard 1", "guard 2"]);
            Assert.Equal(Start, recorded.Answers);
            Assert.Equal(StartGuard, recorded.GuardNll);
            Assert.Equal("dpo.model 0123456789ab", recorded.Model);

            var c = Compare(recorded);
            ReportWriter.Write(policyDir, new EvaluationReport
            {
                Summary = new JsonObject { ["judge"] = "rules", ["prompts"] = 8, ["win_rate"] = 0.9, ["changes"] = new JsonArray(), ["start"] = c.ToJson() },
                Answers = Prompts.Select((p, i) => new EvaluatedAnswer(p, Policy[i], "x", 4, 1, 1)).ToList(),
            });
            string md = File.ReadAllText(Path.Combine(policyDir, "report.md"));
            Assert.Contains("| win rate against the start model dpo.model 0123456789ab | **31.2%** (95% interval 10.2% – 64.4%; 1 / 3 / 4) |", md);
            Assert.Contains("| regressions against the start model (95% interval wholly worse) | **3** of 5 rules and metrics |", md);
            Assert.Contains("- **REGRESSION house style 100.0% → 50.0% (−50.0 points, 95% CI −94.7 to −5.3)**", md);
            Assert.Contains("| house style | higher | 100.0% | 50.0% | −50.0 points | −94.7 to −5.3 | **regression** |", md);
            var start = ReportFile.Read(policyDir)!["start"]!.AsObject();
            Assert.Equal(["chatty", AnswerChanges.GuardName, "house style"], start["regressions"]!.AsArray().Select(n => (string)n!).Order(StringComparer.Ordinal));
            Assert.Equal(0.3125, (double)start["win_rate"]!, 12);
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public void A_start_report_on_other_prompts_is_refused_naming_the_file_and_line()
    {
        string dir = Path.Combine(Path.GetTempPath(), "align-start", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            var other = Prompts.Select((p, i) => i == 3 ? "What is 9 plus 9?" : p).ToArray();
            ReportWriter.Write(dir, new EvaluationReport
            {
                Summary = new JsonObject { ["judge"] = "rules", ["prompts"] = 8 },
                Answers = other.Select((p, i) => new EvaluatedAnswer(p, Start[i], "b", 4, 1, 0)).ToList(),
            });
            var e = Assert.Throws<WorkflowException>(() => RecordedAnswers.Read(dir, "start (evaluateDpo.report)", Prompts, []));
            Assert.Equal("start (evaluateDpo.report): answers.jsonl:4: field 'prompt' is \"What is 9 plus 9?\" but this evaluation's prompt 4 is \"What is 4 plus 1?\": " +
                         "the start model's evaluation must use the same held-out prompts in the same order", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
