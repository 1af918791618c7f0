using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Alignment.Workflows.Reporting;

namespace Alignment.Workflows.Tests;

public class ReportWriterTests
{
    private static TrainingRun Run(string activity, string type, params string[] lines) =>
        new(activity, type, new string('a', 52) + activity.PadLeft(12, '0'), lines.Select(l => JsonNode.Parse(l)!.AsObject()).ToList());

    private static EvaluationReport Report(bool withTask)
    {
        // 3 wins, 1 tie, 1 loss → 3.5/5 = 70%; the interval numbers are given, not recomputed here.
        var summary = new JsonObject
        {
            ["judge"] = "rules", ["prompts"] = 5, ["win_rate"] = 0.7, ["win_rate_low"] = 0.3, ["win_rate_high"] = 0.92,
            ["wins"] = 3, ["ties"] = 1, ["losses"] = 1, ["mean_length"] = 6.4, ["baseline_mean_length"] = 9.0, ["kl"] = 0.125,
            ["reward_accuracy"] = null, ["held_out_loss"] = null,
        };
        if (withTask)
            summary["task"] = JsonNode.Parse("""
                {"policyScore": 2.5, "baselineScore": 1, "rules": [
                  {"name": "polite | kind", "score": 3, "policyRate": 0.9, "baselineRate": 0.4},
                  {"name": "short", "score": 1, "policyRate": 0.5}]}
                """);
        return new EvaluationReport
        {
            Summary = summary,
            Answers =
            [
                new("What is 2 plus 2?", "4", "four, I think", 2, 5, 1),
                new("Say hi", "hi", "hello there friend", 2, 4, 1),
                new("Code?", "use ```x``` here", "no", 6, 2, -1),
                new("Name a colour", "red", "red", 2, 2, 0),
                new("What is 3 plus 1?", "4", "it is 4", 2, 4, 1),
            ],
            Training =
            [
                Run("sft", "Alignment.Sft", """{"step":1,"loss":5.5}""", """{"step":2,"loss":null}""", """{"step":3,"loss":4.0}""", """{"step":3,"eval_loss":4.5}"""),
                Run("dpo", "Alignment.Dpo", """{"step":1,"loss":0.6931,"rewards/margins":0,"rewards/chosen":0,"rewards/rejected":0,"rewards/accuracies":null}""",
                    """{"step":2,"loss":0.65,"rewards/margins":0.08,"rewards/chosen":0.03,"rewards/rejected":-0.05,"rewards/accuracies":null}"""),
                Run("ppo", "Alignment.Ppo", """{"step":1,"loss/policy":0.1,"objective/kl":0.0,"objective/scores":-0.2,"objective/rlhf_reward":-0.2}""",
                    """{"step":2,"loss/policy":0.05,"objective/kl":0.02,"objective/scores":0.3,"objective/rlhf_reward":0.29}"""),
            ],
            TrainingNotes = ["the metrics of rm (0123456789ab) are no longer on disk; its curves are left out"],
            Policy = "dpo.model 111111111111",
            Baseline = "sft.model 222222222222",
        };
    }

    private static string Write(EvaluationReport report)
    {
        string dir = Path.Combine(Path.GetTempPath(), "align-report-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        ReportWriter.Write(dir, report);
        return dir;
    }

    private static Dictionary<string, string> Files(string dir) => Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
        .ToDictionary(f => Path.GetRelativePath(dir, f), File.ReadAllText);

    [Fact]
    public void The_report_links_a_chart_file_for_each_curve_and_every_link_resolves()
    {
        string dir = Write(Report(withTask: true));
        try
        {
            string md = File.ReadAllText(Path.Combine(dir, "report.md"));
            var links = Regex.Matches(md, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();
            Assert.Equal(["charts/win-rate.svg", "charts/task-rules.svg", "charts/lengths.svg", "charts/sft-loss.svg", "charts/dpo-loss.svg",
                          "charts/dpo-rewards.svg", "charts/ppo-kl.svg", "charts/ppo-reward.svg"], links);
            foreach (string link in links) XDocument.Parse(File.ReadAllText(Path.Combine(dir, link)));   // each exists and is well-formed
            Assert.Equal(links.Order(), Directory.GetFiles(Path.Combine(dir, "charts")).Select(f => "charts/" + Path.GetFileName(f)).Order());

            Assert.Contains("| win rate (ties count half) | **70.0%** (95% interval 30.0% – 92.0%) |", md);
            Assert.Contains("| mean answer length (tokens) | policy 6.4, baseline 9.0 |", md);
            Assert.Contains("| reward-model accuracy (held-out pairs, scored at the trained token) | — |", md);
            Assert.Contains("| task score (rules) | policy 2.50, baseline 1.00 |", md);
            Assert.Contains(@"| polite \| kind | 3.00 | 90.0% | 40.0% |", md);
            Assert.Contains("| short | 1.00 | 50.0% | — |", md);
            Assert.Contains("- *baseline: 1 missing or non-finite value skipped*", md);
            Assert.Contains("- *loss: 1 missing or non-finite value skipped*", md);              // SFT step 2
            Assert.Contains("*dpo: Reward accuracy (chosen scored above rejected): chart omitted.*", md);
            Assert.Contains("- *rewards/accuracies: no finite values; left out*", md);
            Assert.Contains("the metrics of rm (0123456789ab) are no longer on disk", md);
            // Both SFT series share the chart: train loss and eval loss.
            var sft = XDocument.Parse(File.ReadAllText(Path.Combine(dir, "charts", "sft-loss.svg")));
            Assert.Equal(["loss", "eval_loss"], sft.Descendants().Where(e => e.Name.LocalName == "circle").Select(c => (string)c.Attribute("data-series")!).Distinct());

            // Examples: verdicts balanced (2 policy wins, the loss, the tie, then the rest), before/after verbatim.
            Assert.Equal(5, Regex.Matches(md, "^### Prompt ", RegexOptions.Multiline).Count);
            Assert.Contains("### Prompt 3: the baseline wins", md);
            Assert.Contains("### Prompt 4: tie", md);
            Assert.Contains("**After: policy (6 tokens)**\n\n````text\nuse ```x``` here\n````", md);
            Assert.Contains("**Before: baseline (5 tokens)**\n\n```text\nfour, I think\n```", md);

            var json = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!;
            Assert.Equal(2.5, (double)json["task"]!["policyScore"]!);
            Assert.Equal(links.Count, json["charts"]!.AsArray().Count);
            Assert.Equal(["sft", "dpo", "ppo"], json["training"]!.AsArray().Select(t => (string)t!["stage"]!));
            var answers = File.ReadAllLines(Path.Combine(dir, "answers.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
            Assert.Equal(["policy", "policy", "baseline", "tie", "policy"], answers.Select(a => (string)a["outcome"]!));
            Assert.Equal(5, (int)answers[0]["baseline_tokens"]!);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Without_task_scores_or_training_the_report_says_so_and_writes_the_same_bytes_twice()
    {
        var report = Report(withTask: false) with { Training = [], TrainingNotes = [] };
        string a = Write(report), b = Write(report);
        try
        {
            var first = Files(a);
            Assert.Equal(first, Files(b));
            string md = first["report.md"];
            Assert.DoesNotContain("Task rules", md);
            Assert.DoesNotContain(Path.Combine("charts", "task-rules.svg"), first.Keys);
            Assert.Contains("No trainer metrics were found upstream of the policy", md);
            Assert.Equal(["lengths.svg", "win-rate.svg"], Directory.GetFiles(Path.Combine(a, "charts")).Select(Path.GetFileName).Order());
        }
        finally
        {
            Directory.Delete(a, recursive: true);
            Directory.Delete(b, recursive: true);
        }
    }
}
