using System.Diagnostics;
using Alignment.Data.Annotators;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Training.Datasets;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// Two real `align worker` processes on one throwaway PostgreSQL database run a fork's branches through the job engine
// (Hangfire.PostgreSql); the branches are gates that wait on flag files, so both are running at once before either is
// released, and one worker can be killed with SIGKILL in the middle of its stage.
public class WorkerTests
{
    private const int TakeoverSeconds = 3;

    /// <summary>import -> fork -> (gate a, gate b) -> join (WaitAll) -> gate c; the gates a and b wait on flags in <paramref name="flags"/>.</summary>
    private static string WriteWorkflow(TestHome home, string flags, string name = "forked.json")
    {
        var d = WorkflowDefinition.Create("forked-workers", "Forked on workers");
        var import = d.AddActivity("import", "Alignment.ImportDataset");
        import.SetInput("path", "String", Expression.Literal(TestHome.DemoResponses));
        import.SetInput("format", "String", Expression.Literal("responses"));
        d.AddActivity("fork", "Elsa.FlowFork");
        foreach (var label in new[] { "a", "b", "c" })
        {
            var gate = d.AddActivity(label, "Alignment.Test.Gate");
            gate.SetInput("label", "String", Expression.Literal(label));
            gate.SetInput("after", "Artifact", Expression.Output("import", "dataset"));
            if (label != "c") gate.SetInput("flagDir", "String", Expression.Literal(flags));
        }
        d.AddActivity("join", "Elsa.FlowJoin").SetInput("mode", "String", Expression.Literal("WaitAll"));
        foreach (var (from, to) in new[] { ("import", "fork"), ("fork", "a"), ("fork", "b"), ("a", "join"), ("b", "join"), ("join", "c") })
            d.Connect(from, to);
        return home.Write(d, name);
    }

    private static string Flags(TestHome home)
    {
        var flags = Path.Combine(home.Folder, "flags");
        Directory.CreateDirectory(flags);
        return flags;
    }

    /// <summary>The final outputs of the same workflow run by one `align run` process on SQLite, gates released from the start.</summary>
    private static async Task<Dictionary<string, string>> SingleProcessOutputs()
    {
        using var clean = new TestHome();
        var flags = Flags(clean);
        foreach (var g in new[] { "a", "b" }) File.WriteAllText(Path.Combine(flags, $"release-{g}"), "");
        var run = await ProcessTests.Align.Run(clean.Home, "run", WriteWorkflow(clean, flags));
        Assert.True(run.Code == 0, run.Error + run.Out);
        return Outputs(clean, run.FirstLine);
    }

    private static Dictionary<string, string> Outputs(TestHome home, string id) =>
        home.Outputs(id).ToDictionary(o => o.Key, o => o.Value.ToJsonString());

    /// <summary>Two workers, one slot each, and `align run --workers`; returns when both gates are running.</summary>
    private sealed class Cluster : IAsyncDisposable
    {
        public required Process[] Workers { get; init; }
        public required Process Run { get; init; }
        public required System.Text.StringBuilder RunOut { get; init; }
        public required System.Text.StringBuilder RunError { get; init; }
        public required string Flags { get; init; }

        public static async Task<Cluster> Start(TestHome home)
        {
            var flags = Flags(home);
            var workflow = WriteWorkflow(home, flags);
            var workers = Enumerable.Range(0, 2).Select(_ => ProcessTests.Align.Launch(home.Home,
                ["worker", "--store", home.Store!, "--slots", "1", "--takeover", TakeoverSeconds.ToString()]).Process).ToArray();
            var (run, stdout, stderr) = ProcessTests.Align.Launch(home.Home, ["run", workflow, "--workers", "--store", home.Store!]);
            var cluster = new Cluster { Workers = workers, Run = run, RunOut = stdout, RunError = stderr, Flags = flags };
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (!new[] { "a", "b" }.All(g => File.Exists(Path.Combine(flags, $"reached-{g}"))))
            {
                if (run.HasExited || workers.Any(w => w.HasExited) || DateTime.UtcNow > deadline)
                {
                    await cluster.DisposeAsync();
                    throw new Xunit.Sdk.XunitException($"the two gates never ran at once (run exited: {run.HasExited}, workers exited: " +
                                                       $"{string.Join(",", workers.Select(w => w.HasExited))}); run: {stdout} {stderr}");
                }
                await Task.Delay(20);
            }
            return cluster;
        }

        public void Release()
        {
            foreach (var g in new[] { "a", "b" }) File.WriteAllText(Path.Combine(Flags, $"release-{g}"), "");
        }

        public async Task<(int Code, string Id)> WaitForRun()
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await Run.WaitForExitAsync(timeout.Token);
            lock (RunOut) return (Run.ExitCode, RunOut.ToString().Split('\n')[0].Trim());
        }

        public ValueTask DisposeAsync()
        {
            foreach (var p in Workers.Append(Run))
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit();
                p.Dispose();
            }
            return ValueTask.CompletedTask;
        }
    }

    private static int PidOf(string worker) => int.Parse(worker.Split(':')[1]);

    [Theory, PostgresData]
    public async Task Two_workers_run_a_forks_branches_at_the_same_time_and_end_with_the_single_process_hashes(string provider)
    {
        var expected = await SingleProcessOutputs();
        using var home = new TestHome(provider);
        await using var cluster = await Cluster.Start(home);
        cluster.Release();
        var (code, id) = await cluster.WaitForRun();
        Assert.True(code == 0, cluster.RunOut.ToString() + cluster.RunError);

        var runs = home.Engine.Detail(id).Executions;
        Assert.All(runs, e => Assert.Equal("completed", e.Status.ToCode()));
        var (a, b) = (runs.Single(e => e.ActivityId == "a"), runs.Single(e => e.ActivityId == "b"));
        Assert.True(a.StartedAt < b.FinishedAt && b.StartedAt < a.FinishedAt,
            $"branch a ran {a.StartedAt:O}..{a.FinishedAt:O}, branch b {b.StartedAt:O}..{b.FinishedAt:O}: they did not overlap");
        Assert.NotEqual(a.Worker, b.Worker);
        Assert.Equal(cluster.Workers.Select(w => w.Id).Order(), new[] { PidOf(a.Worker!), PidOf(b.Worker!) }.Order());
        Assert.Equal(expected, Outputs(home, id));
    }

    [Theory, PostgresData]
    public async Task A_worker_killed_mid_stage_has_its_stage_taken_over_and_the_run_ends_with_the_single_process_hashes(string provider)
    {
        var expected = await SingleProcessOutputs();
        using var home = new TestHome(provider);
        await using var cluster = await Cluster.Start(home);
        string id = File.ReadAllText(Path.Combine(cluster.Flags, "reached-a")).Trim();
        var a = home.Engine.Detail(id).Executions.Single(e => e.ActivityId == "a");
        Assert.Equal("running", a.Status.ToCode());
        var victim = cluster.Workers.Single(w => w.Id == PidOf(a.Worker!));
        victim.Kill(entireProcessTree: true);
        await victim.WaitForExitAsync();
        cluster.Release();

        var (code, runId) = await cluster.WaitForRun();
        Assert.True(code == 0, cluster.RunOut.ToString() + cluster.RunError);
        Assert.Equal(id, runId);
        var runs = home.Engine.Detail(id).Executions;
        var survivor = cluster.Workers.Single(w => w != victim).Id;
        Assert.Equal([("interrupted", victim.Id), ("completed", survivor)],
            runs.Where(e => e.ActivityId == "a").Select(e => (e.Status.ToCode(), PidOf(e.Worker!))));
        Assert.All(runs.Where(e => e.ActivityId != "a"), e => Assert.Equal("completed", e.Status.ToCode()));
        Assert.Equal(expected, Outputs(home, id));
    }

    [Theory, PostgresData]
    public async Task Cancel_stops_the_stages_running_on_workers_and_frees_their_slots(string provider)
    {
        using var home = new TestHome(provider);
        await using var cluster = await Cluster.Start(home);
        string id = File.ReadAllText(Path.Combine(cluster.Flags, "reached-a")).Trim();

        Assert.True(home.Engine.Cancel(id));   // workers hold no lease: cancelled at once, the workers stop their stages
        var (code, _) = await cluster.WaitForRun();
        Assert.Equal(5, code);
        var runs = home.Engine.Detail(id).Executions;
        Assert.Equal(["cancelled", "cancelled"], runs.Where(e => e.ActivityId is "a" or "b").Select(e => e.Status.ToCode()));
        Assert.DoesNotContain(runs, e => e.ActivityId is "join" or "c");

        // The gates of the cancelled run never get their release flags: only if the workers stopped them are their
        // slots free for another run, whose own gates are released from the start.
        var flags = Path.Combine(home.Folder, "flags2");
        Directory.CreateDirectory(flags);
        foreach (var g in new[] { "a", "b" }) File.WriteAllText(Path.Combine(flags, $"release-{g}"), "");
        var next = await ProcessTests.Align.Run(home.Home, "run", WriteWorkflow(home, flags, "second.json"), "--workers", "--store", home.Store!);
        Assert.True(next.Code == 0, next.Error + next.Out);
        Assert.Equal(InstanceStatus.Cancelled, home.Engine.Detail(id).Instance.Status);
    }

    [Theory, PostgresData]
    public async Task A_human_stage_run_by_a_worker_suspends_the_run_and_resume_hands_it_back_once_judged(string provider)
    {
        using var home = new TestHome(provider);
        var (worker, workerOut, workerError) = ProcessTests.Align.Launch(home.Home, ["worker", "--store", home.Store!, "--slots", "1"]);
        try
        {
            var run = await ProcessTests.Align.Run(home.Home, "run", TestHome.RoundTripWorkflow, "--workers", "--store", home.Store!,
                "--input", "judge=human", "--input", $"responses={TestHome.DemoResponses}");
            Assert.True(run.Code == 4, $"exit {run.Code}: {run.Out} {run.Error}; worker: {workerOut} {workerError}");   // 4: suspended
            string id = run.FirstLine;
            var detail = home.Engine.Detail(id);
            Assert.Equal(InstanceStatus.Suspended, detail.Instance.Status);
            var bookmark = Assert.Single(detail.Bookmarks);
            Assert.Equal("judge", bookmark.ActivityId);
            var judge = detail.Executions.Single(e => e.ActivityId == "judge");
            Assert.Equal(("suspended", worker.Id), (judge.Status.ToCode(), PidOf(judge.Worker!)));

            // Back to the worker before anyone judged: it checks the bookmark again and the run stays suspended.
            var early = await ProcessTests.Align.Run(home.Home, "resume", id, "--store", home.Store!);
            Assert.True(early.Code == 4, $"exit {early.Code}: {early.Out} {early.Error}");

            // An annotator judges every comparison through the queue on the same database (longer answer preferred).
            string project = (string)bookmark.Payload["project"]!;
            var projectId = new ProjectService(home.Engine.Db).GetByName(project).Id;
            var annotator = new AnnotatorService(home.Engine.Db).Create("alice", AnnotatorRole.Annotator).Annotator.Id;
            new ProjectMembers(home.Engine.Db).Add(projectId, annotator);
            var queue = new QueueService(home.Engine.Db, new Random(1));
            while (queue.NextItem(projectId, annotator) is { } item)
            {
                var choice = item.LeftText.Length >= item.RightText.Length ? ShownChoice.Left : ShownChoice.Right;
                queue.Submit(item.AssignmentId, annotator, new JudgmentInput(choice, choice == ShownChoice.Left ? -2 : 2));
            }

            var done = await ProcessTests.Align.Run(home.Home, "resume", id, "--store", home.Store!);
            Assert.True(done.Code == 0, $"exit {done.Code}: {done.Out} {done.Error}");
            var after = home.Engine.Detail(id);
            Assert.Equal(InstanceStatus.Finished, after.Instance.Status);
            Assert.Empty(after.Bookmarks);
            // The judge stage and everything after it ran on the worker, not in the resuming process.
            var finished = after.Executions.Where(e => e.ActivityId is "judge" or "export" && e.Status.ToCode() == "completed").ToList();
            Assert.Equal(2, finished.Count);
            Assert.All(finished, e => Assert.Equal(worker.Id, PidOf(e.Worker!)));
            var outputs = home.Outputs(id);
            Assert.Equal(18.0, (double)outputs["export"]["pairs"]!);   // the shipped file's 18 comparisons, one judgment each
            var rows = DatasetReader.ReadPreferences(home.Engine.Artifacts.Get((string)outputs["export"]["preferences"]!).Path);
            Assert.All(rows, r => Assert.True(r.Chosen.Text!.Length >= r.Rejected.Text!.Length));
        }
        finally
        {
            if (!worker.HasExited) worker.Kill(entireProcessTree: true);
            await worker.WaitForExitAsync();
            worker.Dispose();
        }
    }

    /// <summary>model -> sft data -> sft (<paramref name="steps"/> steps, a checkpoint every steps / 10).</summary>
    private static string SftWorkflow(TestHome home, string model, int steps)
    {
        var d = WorkflowDefinition.Create("sft-on-workers", "SFT on workers");
        d.AddActivity("model", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(model));
        var data = d.AddActivity("sftData", "Alignment.ImportDataset");
        data.SetInput("path", "String", Expression.Literal(Path.Combine(DemoModel.DemoFolder, "sft.jsonl")));
        data.SetInput("format", "String", Expression.Literal("sft"));
        var sft = d.AddActivity("sft", "Alignment.Sft");
        sft.SetInput("model", "Artifact", Expression.Output("model", "model"));
        sft.SetInput("dataset", "Artifact", Expression.Output("sftData", "dataset"));
        sft.SetInput("maxSteps", "Int32", Expression.Literal(steps));
        sft.SetInput("batchSize", "Int32", Expression.Literal(2));
        sft.SetInput("template", "String", Expression.Literal("chatml"));
        d.Connect("model", "sftData");
        d.Connect("sftData", "sft");
        return home.Write(d, "sft.json");
    }

    [Theory, PostgresData]
    public async Task A_training_stage_taken_over_from_a_killed_worker_continues_from_its_checkpoint(string provider)
    {
        const int steps = 40, killAt = 6;   // checkpoints every 4 steps: the kill comes after the first one
        using var shared = new TestHome();
        string model = DemoModel.Create(Path.Combine(shared.Folder, "tiny"));
        Dictionary<string, string> expected;
        using (var clean = new TestHome())
        {
            var single = await ProcessTests.Align.Run(clean.Home, "run", SftWorkflow(clean, model, steps));
            Assert.True(single.Code == 0, single.Error + single.Out);
            expected = Outputs(clean, single.FirstLine);
        }

        using var home = new TestHome(provider);
        var workers = Enumerable.Range(0, 2).Select(_ => ProcessTests.Align.Launch(home.Home,
            ["worker", "--store", home.Store!, "--slots", "1", "--takeover", TakeoverSeconds.ToString()]).Process).ToArray();
        var (run, stdout, stderr) = ProcessTests.Align.Launch(home.Home, ["run", SftWorkflow(home, model, steps), "--workers", "--store", home.Store!]);
        try
        {
            string? id = null;
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(2);
            while (id is null || StageResumeTests.LoggedStep(home, id, "sft") < killAt)
            {
                lock (stdout) id ??= stdout.ToString().Split('\n')[0].Trim() is { Length: 12 } first && first.All(Uri.IsHexDigit) ? first : null;
                if (run.HasExited || DateTime.UtcNow > deadline)
                    throw new Xunit.Sdk.XunitException($"sft never reached step {killAt} on a worker (run exited: {run.HasExited}): {stdout} {stderr}");
                await Task.Delay(20);
            }
            var running = home.Engine.Detail(id).Executions.Single(e => e.ActivityId == "sft");
            var victim = workers.Single(w => w.Id == PidOf(running.Worker!));
            victim.Kill(entireProcessTree: true);
            await victim.WaitForExitAsync();
            int reached = StageResumeTests.LoggedStep(home, id, "sft");
            Assert.True(reached < steps, "the kill came after the last step");

            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(3));
            await run.WaitForExitAsync(timeout.Token);
            Assert.True(run.ExitCode == 0, $"exit {run.ExitCode}: {stdout} {stderr}");
            var sft = home.Engine.Detail(id).Executions.Where(e => e.ActivityId == "sft").ToList();
            var survivor = workers.Single(w => w != victim).Id;
            Assert.Equal([("interrupted", victim.Id), ("completed", survivor)], sft.Select(e => (e.Status.ToCode(), PidOf(e.Worker!))));
            var resumed = System.Text.RegularExpressions.Regex.Match(sft[1].Log, @"resuming the interrupted run from its checkpoint at step (\d+)");
            Assert.True(resumed.Success, $"the survivor did not continue from the checkpoint:\n{sft[1].Log}");
            int from = int.Parse(resumed.Groups[1].Value);
            Assert.True(from >= 4 && from % 4 == 0 && from <= reached, $"continued from step {from}, killed at {reached}");
            Assert.Equal(expected, Outputs(home, id));
        }
        finally
        {
            foreach (var p in workers.Append(run))
            {
                if (!p.HasExited) p.Kill(entireProcessTree: true);
                p.WaitForExit();
                p.Dispose();
            }
        }
    }
}
