using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alignment.Workflows.Activities;
using Alignment.Cli.Commands;
using Alignment.Workflows;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Reporting;
using Alignment.Workflows.Execution;

namespace Alignment.Cli.Tests;

// `align demo`: finding the definition, its help, and the whole demo run through the CLI entry point with the
// acceptance numbers checked (DPO beats SFT by the scripted judge, the task score improves, RM accuracy printed; no policy
// regresses on a rule, against SFT or against its start model; GRPO, started from DPO, keeps the house style and gains
// at least 10 points of right sums over SFT).
[Collection(DemoCollection.Name)]
public sealed class DemoCommandTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "align-demo-tests", Guid.NewGuid().ToString("N"));

    public DemoCommandTests() => Directory.CreateDirectory(_folder);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    internal static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Alignment.sln not found above the test folder");
        }
    }

    [Fact]
    public void The_definition_is_found_above_the_current_folder_or_the_program_folder()
    {
        string repo = Path.Combine(_folder, "repo");
        string nested = Path.Combine(repo, "a", "b");
        Directory.CreateDirectory(nested);
        Directory.CreateDirectory(Path.Combine(repo, "workflows"));
        string definition = Path.Combine(repo, "workflows", "demo-rlhf.json");
        File.WriteAllText(definition, "{}");
        string elsewhere = Path.Combine(_folder, "elsewhere");
        Directory.CreateDirectory(elsewhere);

        Assert.Equal(definition, DemoCommand.FindDefinition(nested, elsewhere));
        Assert.Equal(definition, DemoCommand.FindDefinition(elsewhere, nested));   // from the program's folder
        var e = Assert.Throws<WorkflowException>(() => DemoCommand.FindDefinition(elsewhere, elsewhere));
        Assert.Contains($"cannot find {Path.Combine("workflows", "demo-rlhf.json")} in {elsewhere}", e.Message);
        Assert.Contains("--workflow FILE", e.Message);
    }

    [Theory]
    [InlineData("40% policy answers", 0.4)]
    [InlineData("40 % policy answers", 0.4)]
    [InlineData("100%", 1.0)]
    public void Progress_messages_give_their_fraction(string message, double fraction) =>
        Assert.Equal(fraction, DemoProgress.ParseFraction(message)!.Value, 12);

    [Fact]
    public void A_progress_message_without_a_percentage_gives_no_fraction() => Assert.Null(DemoProgress.ParseFraction("policy answers"));

    [Fact]
    public void Help_describes_the_options()
    {
        var r = CliRunner.Run("demo", "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (string option in new[] { "--human", "--seed", "--threads", "--home", "--input", "--force" })
            Assert.Contains(option, r.Out);
        Assert.Contains("win rates", r.Out);
    }

    [Fact]
    public void A_missing_workflow_file_is_a_clear_error()
    {
        var r = CliRunner.Run("demo", "--workflow", Path.Combine(_folder, "nope.json"), "--home", Path.Combine(_folder, "home"));
        Assert.Equal(ExitCodes.Failure, r.ExitCode);
        Assert.Contains($"--workflow: {Path.Combine(_folder, "nope.json")} does not exist", r.Error);
    }

    [Fact]
    public void The_demo_meets_its_acceptance_and_a_second_run_comes_from_the_cache()
    {
        string home = Path.Combine(_folder, "home");
        var first = CliRunner.Run("--threads", "2", "demo", "--home", home);   // finds workflows/demo-rlhf.json above the test binary
        Assert.True(first.ExitCode == 0, first.Error + first.Out);

        var engine = new WorkflowEngine(home, ActivityRegistry.CreateDefault());
        string id = Regex.Match(first.Out, @"instance ([0-9a-f]+)").Groups[1].Value;
        var outputs = engine.Detail(id).Executions.Where(e => e.Status.ToCode() is "completed" or "cached")
            .GroupBy(e => e.ActivityId).ToDictionary(g => g.Key, g => g.Last().Outputs!);
        double Get(string activity, string name) => (double)outputs[activity][name]!;

        Assert.True(Get("evaluateDpo", "winRate") >= 0.70, $"DPO win rate {Get("evaluateDpo", "winRate")}");
        Assert.True(Get("evaluateDpo", "winRateLow") > 0.5, $"DPO win rate low end {Get("evaluateDpo", "winRateLow")}");
        Assert.True(Get("evaluateDpo", "taskScore") > Get("evaluateDpo", "baselineTaskScore"),
            $"task score SFT {Get("evaluateDpo", "baselineTaskScore")} -> DPO {Get("evaluateDpo", "taskScore")}");
        double accuracy = Get("evaluateDpo", "rewardAccuracy");
        Assert.InRange(accuracy, 0, 1);
        Assert.Contains($"reward model held-out accuracy: {accuracy.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)}", first.Out);
        Assert.InRange(Get("evaluatePpo", "winRate"), 0, 1);
        Assert.Contains("Next steps:", first.Out);

        // The report's "task" key holds the per-rule rates.
        string dpoReport = engine.Artifacts.Get((string)outputs["evaluateDpo"]["report"]!).Path;
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dpoReport, "report.json")))!;
        Assert.Equal(Get("evaluateDpo", "taskScore"), (double)report["task"]!["policyScore"]!, 9);
        Assert.Equal(["right sum", "house style", "chatty", "empty"], report["task"]!["rules"]!.AsArray().Select(r => (string)r!["name"]!));

        // Correctness first: DPO regresses on no rule of the demo judge (interval-checked), and the judge's gate makes two
        // wrong answers both bad, not a tie in favour of the house style.
        var dpoChanges = ReportFile.Changes(dpoReport);
        Assert.Contains(dpoChanges, c => c.Name == "right sum" && c.Kind == "rule");
        Assert.DoesNotContain(dpoChanges, c => c.Kind == "rule" && c.Verdict == ChangeVerdict.Regression);
        Assert.Equal((int)report["ties"]!, (int)report["ties_by_cause"]!["both_bad"]! + (int)report["ties_by_cause"]!["equal_score"]! + (int)report["ties_by_cause"]!["same_answer"]!);
        Assert.Contains(dpoChanges, c => c.Name == "BLEU");        // reference answers given: text metrics
        Assert.Contains(dpoChanges, c => c.Kind == "guard");       // the general-ability guard ran
        Assert.NotNull(report["reward_accuracy_by_group"]!["correctness"]);
        // No policy regresses on any rule of the judge (interval-checked), PPO and GRPO included: both start from the DPO
        // policy (SFT → DPO → RL with verifiable rewards). GRPO keeps the house style (>= 95%) and gains at least 10 points
        // of right sums over SFT, with the change's whole 95% interval above zero; the summary prints it with the interval.
        foreach (string stage in new[] { "evaluatePpo", "evaluateGrpo" })
            Assert.DoesNotContain(ReportFile.Changes(engine.Artifacts.Get((string)outputs[stage]["report"]!).Path), c => c.Kind == "rule" && c.Verdict == ChangeVerdict.Regression);
        var grpoChanges = ReportFile.Changes(engine.Artifacts.Get((string)outputs["evaluateGrpo"]["report"]!).Path);
        var rightSum = grpoChanges.Single(c => c.Kind == "rule" && c.Name == "right sum");
        Assert.True(rightSum.Delta >= 0.10 - 1e-9 && rightSum.Low > 0, $"GRPO right sum {rightSum.Baseline:P1} -> {rightSum.Policy:P1} (interval {rightSum.Low:+0.000} to {rightSum.High:+0.000})");
        var houseStyle = grpoChanges.Single(c => c.Kind == "rule" && c.Name == "house style");
        Assert.True(houseStyle.Policy >= 0.95, $"GRPO house style {houseStyle.Policy:P1}");
        Assert.Contains($"GRPO right sum: {rightSum.Baseline.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)} → {rightSum.Policy.ToString("P1", System.Globalization.CultureInfo.InvariantCulture)}", first.Out);
        // Every regression of each policy is printed in the summary, with its interval; none is left out.
        foreach (string stage in new[] { "evaluateDpo", "evaluatePpo", "evaluateGrpo" })
        {
            var regressions = ReportFile.Regressions(engine.Artifacts.Get((string)outputs[stage]["report"]!).Path);
            Assert.Equal(regressions.Count, (int)Get(stage, "regressions"));
            foreach (var c in regressions) Assert.Contains(ChangeText.Regression(c), first.Out);
        }

        // PPO and GRPO are also compared with DPO, the policy they started from, on the same prompts: the start side of each
        // change is DPO's own rate in its evaluation; neither regresses on a rule of the judge against DPO either (PPO is
        // scored by the rule file alone, with a strong KL), and every regression against DPO is printed in the summary too.
        var dpoRightSum = dpoChanges.Single(c => c.Kind == "rule" && c.Name == "right sum");
        foreach (string stage in new[] { "evaluatePpo", "evaluateGrpo" })
        {
            var start = ReportFile.Read(engine.Artifacts.Get((string)outputs[stage]["report"]!).Path)!["start"]!.AsObject();
            Assert.Equal((string)outputs["evaluateDpo"]["report"]!, (string)start["report"]!);
            var fromDpo = MetricChange.ListFrom(start);
            Assert.Equal(dpoRightSum.Policy, fromDpo.Single(c => c.Kind == "rule" && c.Name == "right sum").Baseline, 12);
            Assert.DoesNotContain(fromDpo, c => c.Kind == "rule" && c.Verdict == ChangeVerdict.Regression);
            var regressions = fromDpo.Where(c => c.Verdict == ChangeVerdict.Regression).ToList();
            Assert.Equal(regressions.Count, (int)Get(stage, "startRegressions"));
            foreach (var c in regressions) Assert.Contains(ChangeText.Regression(c), first.Out);
            Assert.InRange(Get(stage, "startWinRate"), 0, 1);
        }
        Assert.Contains("GRPO right sum against DPO, the model it started from: ", first.Out);

        var second = CliRunner.Run("--threads", "2", "demo", "--home", home);
        Assert.True(second.ExitCode == 0, second.Error + second.Out);
        string id2 = Regex.Match(second.Out, @"instance ([0-9a-f]+)").Groups[1].Value;
        var stages = engine.Detail(id2).Executions.Where(e => e.ActivityType.StartsWith("Alignment.", StringComparison.Ordinal)).ToList();
        Assert.All(stages, e => Assert.Equal("cached", e.Status.ToCode()));
        Assert.Contains("reward model held-out accuracy", second.Out);
    }
}

/// <summary>The demo tests train models for minutes: they run alone, one after another.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DemoCollection
{
    public const string Name = "demo (sequential)";
}
