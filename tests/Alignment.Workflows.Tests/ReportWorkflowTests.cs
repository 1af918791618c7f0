using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// The evaluation report of the shipped SFT → DPO workflow on a random tiny model, and `align report` over it.
public class ReportWorkflowTests
{
    private static (int Code, string Out, string Error) Align(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Alignment.Cli.AlignApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The tooltips of the markers of one series: "NAME at step S: VALUE".</summary>
    private static List<string> Markers(string svgPath, string series) => XDocument.Load(svgPath).Descendants()
        .Where(e => e.Name.LocalName == "circle" && (string?)e.Attribute("data-series") == series)
        .Select(e => e.Elements().Single(t => t.Name.LocalName == "title").Value).ToList();

    /// <summary>What the markers of <paramref name="key"/> must say, read straight from a metrics.jsonl file.</summary>
    private static List<string> Expected(string metricsPath, string key) => File.ReadAllLines(metricsPath)
        .Select(l => JsonNode.Parse(l)!.AsObject()).Where(r => r[key] is not null)
        .Select(r => $"{key} at step {(long)r["step"]!}: {((double)r[key]!).ToString("G6", CultureInfo.InvariantCulture)}").ToList();

    [Fact]
    public async Task Sft_dpo_report_has_charts_from_the_sft_and_dpo_metrics_and_align_report_finds_it()
    {
        using var home = new TestHome();
        var result = await RunShipped(home, "sft-dpo.json");
        var o = home.Outputs(result.InstanceId);
        var store = home.Engine.Artifacts;
        var report = store.Get((string)o["evaluate"]["report"]!);
        string md = File.ReadAllText(Path.Combine(report.Path, "report.md"));

        var links = Links(md);
        foreach (string chart in new[] { "win-rate", "lengths", "sft-loss", "dpo-loss", "dpo-rewards", "dpo-accuracy" })
            Assert.Contains($"charts/{chart}.svg", links);
        foreach (string link in links) XDocument.Load(Path.Combine(report.Path, link));
        Assert.True(md.IndexOf("### sft (Alignment.Sft)", StringComparison.Ordinal) < md.IndexOf("### dpo (Alignment.Dpo)", StringComparison.Ordinal),
            "SFT comes before DPO");

        // The curves are the stages' own metrics artifacts, point for point.
        string sftMetrics = store.Get((string)o["sft"]["metrics"]!).Path, dpoMetrics = store.Get((string)o["dpo"]["metrics"]!).Path;
        Assert.Equal(Expected(sftMetrics, "loss"), Markers(Path.Combine(report.Path, "charts", "sft-loss.svg"), "loss"));
        Assert.Equal(4, Markers(Path.Combine(report.Path, "charts", "sft-loss.svg"), "loss").Count);
        Assert.Equal(Expected(dpoMetrics, "loss"), Markers(Path.Combine(report.Path, "charts", "dpo-loss.svg"), "loss"));
        Assert.Equal(Expected(dpoMetrics, "rewards/margins"), Markers(Path.Combine(report.Path, "charts", "dpo-rewards.svg"), "rewards/margins"));
        Assert.Equal(Expected(dpoMetrics, "rewards/accuracies"), Markers(Path.Combine(report.Path, "charts", "dpo-accuracy.svg"), "rewards/accuracies"));

        // The win-rate chart shows the stage's own numbers; the histogram counts every answer of both models.
        double winRate = (double)o["evaluate"]["winRate"]!;
        var estimate = XDocument.Load(Path.Combine(report.Path, "charts", "win-rate.svg")).Descendants().Single(e => e.Name.LocalName == "circle");
        Assert.Equal((150 + 460 * winRate).ToString("F2", CultureInfo.InvariantCulture), (string)estimate.Attribute("cx")!);
        var answers = File.ReadAllLines(Path.Combine(report.Path, "answers.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var bars = XDocument.Load(Path.Combine(report.Path, "charts", "lengths.svg")).Descendants().Where(e => e.Name.LocalName == "rect" && (string?)e.Attribute("class") == "bar").ToList();
        foreach (string side in new[] { "policy", "baseline" })
            Assert.Equal(answers.Count, bars.Where(b => (string)b.Attribute("data-series")! == side).Sum(b => int.Parse((string)b.Attribute("data-count")!, CultureInfo.InvariantCulture)));
        Assert.Equal(answers.Average(a => (int)a["policy_tokens"]!), (double)o["evaluate"]["meanLength"]!, 9);

        Assert.Contains("## Examples", md);
        Assert.Contains("**Before: baseline (", md);
        Assert.Contains("**After: policy (", md);
        Assert.Contains($"**{(winRate * 100).ToString("F1", CultureInfo.InvariantCulture)}%**", md);

        // align report ID: the instance, or the report artifact by hash prefix.
        var text = Align("report", result.InstanceId, "--home", home.Home);
        Assert.True(text.Code == 0, text.Error);
        Assert.Contains($"evaluate: {Path.Combine(report.Path, "report.md")}", text.Out);
        Assert.Contains($"win rate {(winRate * 100).ToString("F1", CultureInfo.InvariantCulture)}%", text.Out);
        var json = Align("report", result.InstanceId[..8], "--json", "--home", home.Home);
        Assert.True(json.Code == 0, json.Error);
        var parsed = JsonNode.Parse(json.Out)!;
        Assert.Equal(result.InstanceId, (string)parsed["instance"]!);
        var entry = Assert.Single(parsed["reports"]!.AsArray())!;
        Assert.Equal("evaluate", (string)entry["stage"]!);
        Assert.Equal(report.Hash, (string)entry["artifact"]!);
        Assert.Equal(Path.Combine(report.Path, "report.md"), (string)entry["path"]!);
        Assert.Equal(winRate, (double)entry["win_rate"]!, 12);
        Assert.All(entry["charts"]!.AsArray(), c => Assert.True(File.Exists((string)c!)));
        var byHash = Align("report", report.Hash[..10], "--home", home.Home);
        Assert.True(byHash.Code == 0, byHash.Error);
        Assert.Contains($"instance {result.InstanceId}", byHash.Out);

        // Wrong ids are errors that say what is wrong.
        var model = Align("report", (string)o["sft"]["model"]!, "--home", home.Home);
        Assert.Equal(2, model.Code);
        Assert.Contains("is a model folder by Alignment.Sft, not an evaluation report", model.Error);
        var unknown = Align("report", "zz-not-an-id", "--home", home.Home);
        Assert.Equal(2, unknown.Code);
        Assert.Contains("no workflow instance or report artifact 'zz-not-an-id'", unknown.Error);
    }

    /// <summary>Runs a shipped workflow on a tiny random base model (plus <paramref name="extra"/> inputs) and asserts it finished.</summary>
    private static async Task<RunResult> RunShipped(TestHome home, string file, params (string Name, string Value)[] extra)
    {
        var inputs = new Dictionary<string, string> { ["model"] = DemoModel.Create(Path.Combine(home.Folder, "base")) };
        foreach (var (name, value) in extra) inputs[name] = value;
        var result = await home.Run(Path.Combine(TestHome.RepoRoot, "workflows", file), inputs);
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        return result;
    }

    private static List<string> Links(string md) => Regex.Matches(md, @"!\[[^\]]*\]\(([^)]+)\)").Select(m => m.Groups[1].Value).ToList();

    [Fact]
    public async Task Rlhf_ppo_report_shows_the_reward_model_and_ppo_kl_and_reward_curves()
    {
        using var home = new TestHome();
        var result = await RunShipped(home, "rlhf-ppo.json");
        var o = home.Outputs(result.InstanceId);
        var store = home.Engine.Artifacts;
        var report = store.Get((string)o["evaluate"]["report"]!);
        string md = File.ReadAllText(Path.Combine(report.Path, "report.md"));
        var links = Links(md);
        foreach (string chart in new[] { "sft-loss", "rm-loss", "rm-rewards", "rm-accuracy", "ppo-kl", "ppo-reward", "ppo-length", "win-rate", "lengths" })
            Assert.Contains($"charts/{chart}.svg", links);
        // SFT, then the reward model, then PPO: upstream first.
        Assert.True(md.IndexOf("### sft (", StringComparison.Ordinal) < md.IndexOf("### rm (", StringComparison.Ordinal)
                    && md.IndexOf("### rm (", StringComparison.Ordinal) < md.IndexOf("### ppo (", StringComparison.Ordinal));
        string ppoMetrics = store.Get((string)o["ppo"]["metrics"]!).Path, rmMetrics = store.Get((string)o["rm"]["metrics"]!).Path;
        Assert.Equal(Expected(ppoMetrics, "objective/kl"), Markers(Path.Combine(report.Path, "charts", "ppo-kl.svg"), "objective/kl"));
        Assert.Equal(Expected(ppoMetrics, "objective/scores"), Markers(Path.Combine(report.Path, "charts", "ppo-reward.svg"), "objective/scores"));
        Assert.Equal(Expected(rmMetrics, "accuracy"), Markers(Path.Combine(report.Path, "charts", "rm-accuracy.svg"), "accuracy"));
    }

    [Fact]
    public async Task Iterative_dpo_reports_each_round_and_the_last_shows_both_dpo_runs()
    {
        using var home = new TestHome();
        var result = await RunShipped(home, "iterative-dpo.json", ("targetWinRate", "1.01"), ("maxRounds", "2"));
        var (code, output, error) = Align("report", result.InstanceId, "--json", "--home", home.Home);
        Assert.True(code == 0, error);
        var reports = JsonNode.Parse(output)!["reports"]!.AsArray();
        Assert.Equal([1, 2], reports.Select(r => (int)r!["iteration"]!));
        Assert.Equal(["evaluate", "evaluate"], reports.Select(r => (string)r!["stage"]!));
        string last = File.ReadAllText((string)reports[1]!["path"]!);
        Assert.Contains("### dpo (Alignment.Dpo)", last);
        Assert.Contains("### dpo, run 2 (Alignment.Dpo)", last);
        Assert.Contains("charts/dpo-loss.svg", Links(last));
        Assert.Contains("charts/dpo-2-loss.svg", Links(last));
        Assert.DoesNotContain("charts/dpo-2-loss.svg", Links(File.ReadAllText((string)reports[0]!["path"]!)));   // round 1 saw one DPO run
        var text = Align("report", result.InstanceId, "--home", home.Home);
        Assert.Contains("evaluate (iteration 2): ", text.Out);
    }

    [Fact]
    public async Task Align_report_on_an_instance_without_an_evaluation_says_there_is_none_yet()
    {
        using var home = new TestHome();
        var d = WorkflowDefinition.Create("data-only", "Data only");
        var data = d.AddActivity("prompts", "Alignment.ImportDataset");
        data.SetInput("path", "String", Expression.Literal(Path.Combine(DemoModel.DemoFolder, "prompts.jsonl")));
        data.SetInput("format", "String", Expression.Literal("prompts"));
        var result = await home.Run(home.Write(d));
        Assert.Equal(InstanceStatus.Finished, result.Status);
        var (code, output, error) = Align("report", result.InstanceId, "--home", home.Home);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains($"instance {result.InstanceId} (Data only, finished) has no evaluation report yet", error);
    }
}
