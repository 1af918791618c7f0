using System.Diagnostics;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Xunit.Abstractions;

namespace Alignment.Workflows.Tests;

// A training stage killed part-way continues from its last checkpoint on `align resume` and ends with the same artifact
// hashes as a run never interrupted. One workflow chains SFT, RM, DPO, KTO and PPO on a tiny model; the real `align`
// program runs it as a child process, which is killed with SIGKILL once the stage in turn has logged a random step,
// then `align resume` continues it (and is killed in the next stage, and so on).
public class StageResumeTests(ITestOutputHelper output)
{
    private static readonly (string Id, int Steps)[] Stages = [("sft", 20), ("rm", 20), ("dpo", 20), ("kto", 20), ("ppo", 10)];

    private static string Chain(TestHome home, string model)
    {
        string pairs = Path.Combine(home.Folder, "pairs.jsonl"), unpaired = Path.Combine(home.Folder, "unpaired.jsonl");
        File.WriteAllLines(pairs, Enumerable.Range(0, 8).Select(i =>
            $"{{\"prompt\":\"What is {i} plus 2?\",\"chosen\":\"{i} plus 2 is {i + 2}.\",\"rejected\":\"no\"}}"));
        File.WriteAllLines(unpaired, Enumerable.Range(0, 8).Select(i =>
            $"{{\"prompt\":\"What is {i} plus 1?\",\"completion\":\"{(i % 2 == 0 ? $"{i} plus 1 is {i + 1}." : "no")}\",\"label\":{(i % 2 == 0 ? "true" : "false")}}}"));
        var d = WorkflowDefinition.Create("resume-chain", "Every training stage");
        d.AddActivity("model", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(model));
        foreach (var (id, file, format) in new[] { ("sftData", Path.Combine(DemoModel.DemoFolder, "sft.jsonl"), "sft"), ("pairs", pairs, "preference"),
                                                   ("unpaired", unpaired, "unpaired"), ("prompts", Path.Combine(DemoModel.DemoFolder, "prompts.jsonl"), "prompts") })
        {
            var data = d.AddActivity(id, "Alignment.ImportDataset");
            data.SetInput("path", "String", Expression.Literal(file));
            data.SetInput("format", "String", Expression.Literal(format));
        }
        var sft = d.AddActivity("sft", "Alignment.Sft");
        sft.SetInput("model", "Artifact", Expression.Output("model", "model"));
        sft.SetInput("dataset", "Artifact", Expression.Output("sftData", "dataset"));
        var rm = d.AddActivity("rm", "Alignment.TrainRewardModel");
        rm.SetInput("model", "Artifact", Expression.Output("model", "model"));
        rm.SetInput("preferences", "Artifact", Expression.Output("pairs", "dataset"));
        var dpo = d.AddActivity("dpo", "Alignment.Dpo");
        dpo.SetInput("model", "Artifact", Expression.Output("sft", "model"));
        dpo.SetInput("preferences", "Artifact", Expression.Output("pairs", "dataset"));
        var kto = d.AddActivity("kto", "Alignment.Kto");
        kto.SetInput("model", "Artifact", Expression.Output("sft", "model"));
        kto.SetInput("dataset", "Artifact", Expression.Output("unpaired", "dataset"));
        var ppo = d.AddActivity("ppo", "Alignment.Ppo");
        ppo.SetInput("model", "Artifact", Expression.Output("sft", "model"));
        ppo.SetInput("rewardModel", "Artifact", Expression.Output("rm", "rewardModel"));
        ppo.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
        ppo.SetInput("maxNewTokens", "Int32", Expression.Literal(4));
        foreach (var (id, steps) in Stages)
        {
            var stage = d.FindActivity(id)!;
            stage.SetInput("maxSteps", "Int32", Expression.Literal(steps));
            stage.SetInput("batchSize", "Int32", Expression.Literal(2));
            stage.SetInput("template", "String", Expression.Literal("chatml"));
        }
        string previous = "model";
        foreach (var id in new[] { "sftData", "pairs", "unpaired", "prompts", "sft", "rm", "dpo", "kto", "ppo" })
        {
            d.Connect(previous, id);
            previous = id;
        }
        return home.Write(d, "chain.json");
    }

    /// <summary>The newest step in the metrics.jsonl of an activity's run folder while it trains (0 before the first).</summary>
    internal static int LoggedStep(TestHome home, string instanceId, string activityId)
    {
        if (StageRunFolders.Find(home.Engine.Artifacts, instanceId, activityId, 1) is not { } folder) return 0;
        string metrics = Path.Combine(folder.Path, "metrics.jsonl");
        try
        {
            using var stream = new FileStream(metrics, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var lines = new StreamReader(stream).ReadToEnd().Split('\n').Where(l => l.EndsWith('}')).ToList();
            return lines.Count == 0 ? 0 : (int)(double)JsonNode.Parse(lines[^1])!["step"]!;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Text.Json.JsonException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task Each_training_stage_killed_at_a_random_step_resumes_to_the_hashes_of_an_uninterrupted_run()
    {
        using var shared = new TestHome();
        string model = DemoModel.Create(Path.Combine(shared.Folder, "tiny"));

        Dictionary<string, string> expected;
        using (var clean = new TestHome())
        {
            var clock = Stopwatch.StartNew();
            var run = await ProcessTests.Align.Run(clean.Home, "run", Chain(clean, model));
            Assert.True(run.Code == 0, run.Error + run.Out);
            output.WriteLine($"uninterrupted run: {clock.Elapsed.TotalSeconds:F1} s");
            expected = clean.Outputs(run.FirstLine).ToDictionary(o => o.Key, o => o.Value.ToJsonString());
        }

        using var home = new TestHome();
        string path = Chain(home, model);
        var random = new Random();
        string? instanceId = null;
        foreach (var (stage, steps) in Stages)
        {
            // After the first checkpoint (every ceil(steps / 10) steps; the step after it, so it is surely written) and in
            // the first half, so the kill never races the stage's end.
            int every = (steps + 9) / 10;
            int killAt = random.Next(every + 1, steps / 2 + 1);
            string[] args = instanceId is null ? ["run", path] : ["resume", instanceId];
            var clock = Stopwatch.StartNew();
            var (killed, stdout, stderr, _) = await ProcessTests.Align.StartAndKillWhen(home.Home, text =>
            {
                instanceId ??= text.Split('\n')[0].Trim() is { Length: 12 } id && id.All(Uri.IsHexDigit) && text.Contains('\n') ? id : null;
                return instanceId is not null && LoggedStep(home, instanceId, stage) >= killAt;
            }, args);
            Assert.True(killed, $"{stage}: align exited before step {killAt}: {stdout}{stderr}");
            int reached = LoggedStep(home, instanceId!, stage);
            Assert.True(reached < steps, $"{stage}: the kill came after the last step");
            Assert.DoesNotContain(home.Engine.Detail(instanceId!).Executions, e => e.ActivityId == stage && e.Status.ToCode() == "completed");
            output.WriteLine($"{stage}: killed at step {reached} of {steps} ({clock.Elapsed.TotalSeconds:F1} s after `align {args[0]}` started)");
        }

        var resumeClock = Stopwatch.StartNew();
        var final = await ProcessTests.Align.Run(home.Home, "resume", instanceId!);
        Assert.True(final.Code == 0, final.Error + final.Out);
        output.WriteLine($"last resume (rest of ppo): {resumeClock.Elapsed.TotalSeconds:F1} s");

        var executions = home.Engine.Detail(instanceId!).Executions;
        foreach (var (stage, steps) in Stages)
        {
            var done = executions.Single(e => e.ActivityId == stage && e.Status.ToCode() == "completed");
            var resumed = Regex.Match(done.Log, @"resuming the interrupted run from its checkpoint at step (\d+)");
            Assert.True(resumed.Success, $"{stage} did not resume from a checkpoint:\n{done.Log}");
            int from = int.Parse(resumed.Groups[1].Value);
            Assert.True(from >= 1 && from % ((steps + 9) / 10) == 0, $"{stage}: checkpoint at step {from}");
            output.WriteLine($"{stage}: resumed from the checkpoint at step {from}, finished in {done.DurationSeconds:F1} s");
        }
        var actual = home.Outputs(instanceId!).ToDictionary(o => o.Key, o => o.Value.ToJsonString());
        foreach (var (activity, outputs) in expected)
            Assert.True(outputs == actual.GetValueOrDefault(activity), $"{activity}: uninterrupted {outputs}\nresumed {actual.GetValueOrDefault(activity)}");
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        Assert.Empty(Directory.EnumerateDirectories(home.Engine.Artifacts.TempRoot, "*" + StageRunFolders.Suffix));
    }
}
