using System.Text.Json.Nodes;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Judging;
using Alignment.Workflows.Reporting;

namespace Alignment.Workflows.Tests;

// A regression planted in the answers must come out in the numbers (by hand below) and at the top of report.md and
// report.json, never hidden behind a good headline.
public sealed class PlantedRegressionTests
{
    internal static readonly string[] Prompts = Enumerable.Range(1, 8).Select(i => $"What is {i} plus 1?").ToArray();

    /// <summary>The demo's judge in small: right sum (a gate), house style, chatty; reference "is N + 1" for "What is N plus 1?".</summary>
    internal static RuleJudge Judge() => new(new RuleFile
    {
        Rules =
        [
            new JudgeRule { Name = "right sum", MatchesReference = true, Score = 3, Gate = true },
            new JudgeRule { Name = "house style", Regex = "^The answer is \\d+\\.$", Score = 2 },
            new JudgeRule { Name = "chatty", Contains = "sure", Score = -1 },
        ],
    }, "rules.json", new ReferenceAnswers(Enumerable.Range(1, 8).ToDictionary(i => $"What is {i} plus 1?", i => $"is {i + 1}")));

    // Baseline: right and chatty on all 8. Policy: house style on all 8, but wrong on 6 (the planted regression).
    private static readonly string[] Baseline = Enumerable.Range(1, 8).Select(i => $"Sure! The answer is {i + 1}.").ToArray();
    private static readonly string[] Policy = Enumerable.Range(1, 8).Select(i => $"The answer is {(i <= 2 ? i + 1 : i + 5)}.").ToArray();

    [Fact]
    public void Rule_changes_find_the_planted_regression_with_the_hand_computed_interval()
    {
        var changes = RuleChanges.Of(Judge(), Prompts, Policy, Baseline).ToDictionary(c => c.Name);
        // right sum: d_i = −1 on 6 prompts, 0 on 2 → mean −0.75; s_d = √(Σ(d − d̄)² / 7) = √((6·0.0625 + 2·0.5625) / 7) = √(1.5 / 7)
        // = 0.4629100; se = 0.1636634; t(0.975, 7) = 2.3646243 → half width 0.3870025, so −1.1370025 to −0.3629975; a rate
        // falls by at most its baseline (100%), so the low end is clipped to −1. Tolerance 1e-6.
        var right = changes["right sum"];
        Assert.Equal((1.0, 0.25, -0.75), (right.Baseline, right.Policy, right.Delta));
        Assert.Equal(-1.0, right.Low, 6);
        Assert.Equal(-0.75 + 0.3870025, right.High, 6);
        Assert.Equal(ChangeVerdict.Regression, right.Verdict);
        // house style 0 → 1 on every prompt: an improvement with a degenerate interval; chatty (a penalty) 1 → 0: better too.
        Assert.Equal(ChangeVerdict.Improvement, changes["house style"].Verdict);
        Assert.Equal(ChangeVerdict.Improvement, changes["chatty"].Verdict);
        Assert.Equal("REGRESSION right sum 100.0% → 25.0% (−75.0 points, 95% CI −100.0 to −36.3)", ChangeText.Regression(right));
    }

    [Fact]
    public void The_report_lists_the_regression_first_in_markdown_and_json()
    {
        var changes = RuleChanges.Of(Judge(), Prompts, Policy, Baseline).OrderBy(c => c.Verdict == ChangeVerdict.Regression ? 0 : 1).ToList();
        var summary = new JsonObject
        {
            ["judge"] = "rules", ["prompts"] = 8, ["win_rate"] = 0.25, ["win_rate_low"] = 0.07, ["win_rate_high"] = 0.59,
            ["wins"] = 2, ["ties"] = 0, ["losses"] = 6, ["mean_length"] = 5, ["baseline_mean_length"] = 7, ["kl"] = 0.1,
            ["changes"] = new JsonArray(changes.Select(c => (JsonNode)c.ToJson()).ToArray()),
            ["regressions"] = new JsonArray(changes.Where(c => c.Verdict == ChangeVerdict.Regression).Select(c => (JsonNode)c.Name).ToArray()),
        };
        string dir = Path.Combine(Path.GetTempPath(), "align-planted", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            ReportWriter.Write(dir, new EvaluationReport
            {
                Summary = summary,
                Answers = Prompts.Select((p, i) => new EvaluatedAnswer(p, Policy[i], Baseline[i], 5, 7, i < 2 ? 1 : -1)).ToList(),
            });
            string md = File.ReadAllText(Path.Combine(dir, "report.md"));
            int regressions = md.IndexOf("## Regressions", StringComparison.Ordinal);
            Assert.True(regressions > 0 && regressions < md.IndexOf("## Win rate", StringComparison.Ordinal), "the Regressions section comes before the win rate");
            Assert.Contains("- **REGRESSION right sum 100.0% → 25.0% (−75.0 points, 95% CI −100.0 to −36.3)**", md);
            Assert.Contains("| regressions (95% interval wholly worse) | **1** of 4 rules and metrics |", md);
            Assert.Contains("| right sum | higher | 100.0% | 25.0% | −75.0 points | −100.0 to −36.3 | **regression** |", md);
            Assert.Equal(["right sum"], ReportFile.Regressions(dir).Select(c => c.Name));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
