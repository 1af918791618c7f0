using System.Text.Json.Nodes;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Annotators;
using Alignment.Data.Projects;
using Alignment.Training.Datasets;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

public class EngineTests
{
    private static Dictionary<string, string> Judge(string judge) => new() { ["judge"] = judge, ["responses"] = TestHome.DemoResponses };

    [Fact]
    public async Task The_shipped_labeling_round_trip_runs_unattended_to_TRL_preferences()
    {
        using var home = new TestHome();
        var result = await home.Run(TestHome.RoundTripWorkflow);

        Assert.Equal(InstanceStatus.Finished, result.Status);
        var outputs = home.Outputs(result.InstanceId);
        Assert.Equal(18, (double)outputs["compare"]["count"]!);
        Assert.Equal(18, (double)outputs["judge"]["judged"]!);
        var preferences = home.Engine.Artifacts.Get((string)outputs["export"]["preferences"]!);
        var rows = DatasetReader.ReadPreferences(preferences.Path);
        Assert.Equal((double)outputs["export"]["pairs"]!, rows.Count);
        Assert.All(rows, r => Assert.InRange(r.Margin!.Value, 0.333, 1.0));
        Assert.Contains(rows, r => r.Prompt.Text == "How do I boil an egg?" && r.Rejected.Text!.Contains("I can't help"));
        // lineage runs back to the imported file
        var lineage = home.Engine.Artifacts.Lineage(preferences.Hash);
        Assert.Equal(["dataset", "judgments", "comparisons", "dataset"], lineage.Select(l => l.Artifact.Kind.ToString().ToLowerInvariant()));
        Assert.Equal("Alignment.ImportDataset", lineage[^1].Artifact.Provenance.Producer!.StageType);
    }

    [Fact]
    public async Task A_second_run_is_served_from_the_cache_and_force_runs_everything()
    {
        using var home = new TestHome();
        var first = await home.Run(TestHome.RoundTripWorkflow);
        var second = await home.Run(TestHome.RoundTripWorkflow);
        var forced = await home.Run(TestHome.RoundTripWorkflow, force: true);

        Assert.All(home.Engine.Detail(first.InstanceId).Executions, e => Assert.Equal("completed", e.Status.ToCode()));
        Assert.All(home.Engine.Detail(second.InstanceId).Executions, e => Assert.Equal("cached", e.Status.ToCode()));
        Assert.All(home.Engine.Detail(forced.InstanceId).Executions, e => Assert.Equal("completed", e.Status.ToCode()));
        Assert.Equal(home.Outputs(first.InstanceId)["export"].ToJsonString(), home.Outputs(second.InstanceId)["export"].ToJsonString());
        Assert.Equal(home.Outputs(first.InstanceId)["export"].ToJsonString(), home.Outputs(forced.InstanceId)["export"].ToJsonString());
    }

    [Fact]
    public async Task A_changed_input_file_misses_the_cache_and_a_deleted_artifact_is_recomputed()
    {
        using var home = new TestHome();
        var copy = Path.Combine(home.Folder, "responses.jsonl");
        File.Copy(TestHome.DemoResponses, copy);
        var first = await home.Run(TestHome.RoundTripWorkflow, new() { ["responses"] = copy });

        var judgments = (string)home.Outputs(first.InstanceId)["judge"]["judgments"]!;
        File.Delete(home.Engine.Artifacts.PathOf(judgments));
        var second = await home.Run(TestHome.RoundTripWorkflow, new() { ["responses"] = copy });
        var statuses = home.Engine.Detail(second.InstanceId).Executions.ToDictionary(e => e.ActivityId, e => e.Status.ToCode());
        Assert.Equal("cached", statuses["import"]);
        Assert.Equal("cached", statuses["compare"]);
        Assert.Equal("completed", statuses["judge"]);   // its artifact was gone: never a stale hit
        Assert.True(home.Engine.Artifacts.ExistsOnDisk(judgments));   // the same bytes again

        File.AppendAllText(copy, "{\"prompt\":\"Say hi.\",\"completion\":\"Hi!\",\"model\":\"base\"}\n{\"prompt\":\"Say hi.\",\"completion\":\"Hello there, nice to meet you.\",\"model\":\"sft\"}\n");
        var third = await home.Run(TestHome.RoundTripWorkflow, new() { ["responses"] = copy });
        Assert.Equal("completed", home.Engine.Detail(third.InstanceId).Executions.First(e => e.ActivityId == "import").Status.ToCode());
    }

    [Fact]
    public async Task A_human_task_suspends_until_annotators_have_judged_through_the_queue()
    {
        using var home = new TestHome();
        var result = await home.Run(TestHome.RoundTripWorkflow, Judge("human"));
        Assert.Equal(InstanceStatus.Suspended, result.Status);
        Assert.Contains("0 of 18 comparisons", result.Message);
        var bookmark = Assert.Single(home.Engine.Detail(result.InstanceId).Bookmarks);
        Assert.Equal("judge", bookmark.ActivityId);
        string project = (string)bookmark.Payload["project"]!;
        Assert.Equal([result.InstanceId], home.Engine.Repository.WaitingOn("judgments", "project", project));

        var again = await home.Engine.ResumeAsync(result.InstanceId);
        Assert.Equal(InstanceStatus.Suspended, again.Status);

        var projectId = new ProjectService(home.Engine.Db).GetByName(project).Id;
        var annotator = new AnnotatorService(home.Engine.Db).Create("alice", AnnotatorRole.Annotator).Annotator.Id;
        new ProjectMembers(home.Engine.Db).Add(projectId, annotator);
        var queue = new QueueService(home.Engine.Db, new Random(1));
        int judged = 0;
        while (queue.NextItem(projectId, annotator) is { } item)
        {
            var choice = item.LeftText.Length >= item.RightText.Length ? ShownChoice.Left : ShownChoice.Right;
            queue.Submit(item.AssignmentId, annotator, new JudgmentInput(choice, choice == ShownChoice.Left ? -2 : 2));
            if (++judged == 9) Assert.Equal(InstanceStatus.Suspended, (await home.Engine.ResumeAsync(result.InstanceId)).Status);
        }

        var done = await home.Engine.ResumeAsync(result.InstanceId);
        Assert.Equal(InstanceStatus.Finished, done.Status);
        var outputs = home.Outputs(result.InstanceId);
        Assert.Equal(18.0, (double)outputs["export"]["pairs"]!);
        Assert.Empty(home.Engine.Detail(result.InstanceId).Bookmarks);
        var rows = DatasetReader.ReadPreferences(home.Engine.Artifacts.Get((string)outputs["export"]["preferences"]!).Path);
        Assert.All(rows, r => Assert.Equal(2.0 / 3, r.Margin!.Value, 6));
        Assert.All(rows, r => Assert.True(r.Chosen.Text!.Length >= r.Rejected.Text!.Length));
    }

    [Fact]
    public async Task A_running_instance_keeps_the_definition_version_it_started_with()
    {
        using var home = new TestHome();
        var path = Path.Combine(home.Folder, "roundtrip.json");
        File.Copy(TestHome.RoundTripWorkflow, path);
        var text = File.ReadAllText(path).Replace("../data/labeling-demo/", TestHome.RepoRoot + "/data/labeling-demo/");
        File.WriteAllText(path, text);
        var result = await home.Run(path, new() { ["judge"] = "human" });

        var changed = DefinitionSerializer.Load(path);
        changed.Version = 2;
        changed.FindActivity("export")!.Json["type"] = "Alignment.Gone";
        DefinitionSerializer.Save(changed, path);
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        // The stored version 1 still validates and runs; annotators finish through the queue.
        var projectId = new ProjectService(home.Engine.Db).GetByName((string)home.Engine.Detail(result.InstanceId).Bookmarks[0].Payload["project"]!).Id;
        var annotator = new AnnotatorService(home.Engine.Db).Create("bob", AnnotatorRole.Annotator).Annotator.Id;
        new ProjectMembers(home.Engine.Db).Add(projectId, annotator);
        var queue = new QueueService(home.Engine.Db);
        while (queue.NextItem(projectId, annotator) is { } item) queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Left, -1));
        Assert.Equal(InstanceStatus.Finished, (await home.Engine.ResumeAsync(result.InstanceId)).Status);
        Assert.Equal(1, home.Engine.Detail(result.InstanceId).Instance.DefinitionVersion);
    }

    [Theory, InlineData("sqlite"), PostgresData]
    public async Task Transient_failures_are_retried_and_a_permanent_one_faults_until_fixed(string provider)
    {
        using var home = new TestHome(provider);
        var counter = Path.Combine(home.Folder, "count");
        var broken = Path.Combine(home.Folder, "broken");
        File.WriteAllText(broken, "");
        var d = WorkflowDefinition.Create("flaky", "Flaky");
        var flaky = d.AddActivity("flaky", "Alignment.Test.Flaky", name: "Flaky stage");
        flaky.SetInput("transientFailures", "Int32", Expression.Literal(2));
        flaky.SetInput("counterFile", "String", Expression.Literal(counter));
        flaky.SetInput("breakFile", "String", Expression.Literal(broken));
        flaky.SetCustomProperty("retry", new JsonObject { ["maxAttempts"] = 4, ["delayMs"] = 5 });
        var path = home.Write(d);

        var faulted = await home.Run(path);
        Assert.Equal(InstanceStatus.Faulted, faulted.Status);
        Assert.Contains("broken:", faulted.Message);
        Assert.Contains("stage log:", faulted.Message);
        var failed = home.Engine.Detail(faulted.InstanceId).Executions.Single();
        Assert.Equal(("faulted", 3), (failed.Status.ToCode(), failed.Attempts));
        Assert.Contains("transient failure (attempt 1 of 4)", failed.Log);
        Assert.Equal("faulted", home.Engine.Detail(faulted.InstanceId).Instance.Status.ToString().ToLowerInvariant());

        File.Delete(broken);
        var fixedRun = await home.Engine.ResumeAsync(faulted.InstanceId);
        Assert.Equal(InstanceStatus.Finished, fixedRun.Status);
        Assert.Equal(["faulted", "completed"], home.Engine.Detail(faulted.InstanceId).Executions.Select(e => e.Status.ToCode()));
        Assert.Equal("4", File.ReadAllText(counter));
        Assert.Null(home.Engine.Detail(faulted.InstanceId).Instance.LeaseOwner);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("flaky done\n"u8)), (string)home.Outputs(faulted.InstanceId)["flaky"]["report"]!);
    }

    [Fact]
    public async Task A_FlowDecision_loop_with_a_counter_variable_runs_until_its_condition_holds()
    {
        using var home = new TestHome();
        var d = WorkflowDefinition.Create("loop", "Loop");
        d.AddVariable("round", "Int32", "0");
        var next = d.AddActivity("next", "Elsa.SetVariable", name: "Next round");
        next.Json["variable"] = new JsonObject { ["id"] = "round", ["name"] = "round", ["typeName"] = "Int32" };
        next.SetInput("value", "Object", Expression.Formula("Variable:round + 1"));
        next.SetCustomProperty("canStartWorkflow", true);   // on the loop, so it has an inbound connection
        d.AddActivity("work", "Alignment.Test.Gate", name: "Work").SetInput("label", "String", Expression.Variable("round"));
        d.AddActivity("enough", "Elsa.FlowDecision", name: "Enough?").SetInput("condition", "Boolean", Expression.Formula("Variable:round >= 3"));
        d.AddActivity("done", "Alignment.Test.Gate", name: "Done").SetInput("label", "String", Expression.Literal("done"));
        d.Connect("next", "work");
        d.Connect("work", "enough");
        d.Connect("enough", "next", "False");
        d.Connect("enough", "done", "True");

        var result = await home.Run(home.Write(d));

        Assert.Equal(InstanceStatus.Finished, result.Status);
        var runs = home.Engine.Detail(result.InstanceId).Executions;
        Assert.Equal([1, 2, 3], runs.Where(e => e.ActivityId == "work").Select(e => e.Iteration));
        Assert.Equal(["False", "False", "True"], runs.Where(e => e.ActivityId == "enough").Select(e => (string)e.Outputs!["ports"]![0]!));
        var report = home.Engine.Artifacts.Get((string)home.Outputs(result.InstanceId)["work"]["report"]!);
        Assert.Equal("gate 3 after nothing\n", File.ReadAllText(report.Path));
    }

    [Theory]
    [InlineData("WaitAll")]
    [InlineData("WaitAny")]
    public async Task FlowFork_and_FlowJoin_run_every_branch_and_continue_once(string mode)
    {
        using var home = new TestHome();
        var d = WorkflowDefinition.Create("fork", "Fork");
        d.AddActivity("fork", "Elsa.FlowFork", name: "Split").SetInput("branches", "String", Expression.Literal("left,right"));
        d.AddActivity("a", "Alignment.Test.Gate", name: "A").SetInput("label", "String", Expression.Literal("a"));
        d.AddActivity("b", "Alignment.Test.Gate", name: "B").SetInput("label", "String", Expression.Literal("b"));
        d.AddActivity("join", "Elsa.FlowJoin", name: "Join").SetInput("mode", "String", Expression.Literal(mode));
        d.AddActivity("c", "Alignment.Test.Gate", name: "C").SetInput("label", "String", Expression.Literal("c"));
        d.Connect("fork", "a", "left");
        d.Connect("fork", "b", "right");
        d.Connect("a", "join");
        d.Connect("b", "join");
        d.Connect("join", "c");

        var result = await home.Run(home.Write(d));

        Assert.Equal(InstanceStatus.Finished, result.Status);
        var order = home.Engine.Detail(result.InstanceId).Executions.Select(e => e.ActivityId).ToList();
        Assert.Equal(1, order.Count(id => id == "c"));
        Assert.Equal(1, order.Count(id => id == "join"));
        // WaitAll joins after b; WaitAny is scheduled by a's arrival and absorbs b's (branches run in connection order).
        Assert.Equal(["fork", "a", "b", "join", "c"], order);
        var joinRuns = home.Engine.Detail(result.InstanceId).Executions.Single(e => e.ActivityId == "join");
        Assert.Equal("completed", joinRuns.Status.ToCode());
    }

    [Fact]
    public async Task A_WaitAll_join_behind_a_decision_continues_with_the_branches_that_can_arrive()
    {
        using var home = new TestHome();
        var d = WorkflowDefinition.Create("fdj", "Fork decision join");
        d.AddActivity("fork", "Elsa.FlowFork", name: "Split");
        d.AddActivity("a", "Alignment.Test.Gate", name: "A").SetInput("label", "String", Expression.Literal("a"));
        d.AddActivity("decide", "Elsa.FlowDecision", name: "Decide").SetInput("condition", "Boolean", Expression.Literal(false));
        d.AddActivity("e", "Alignment.Test.Gate", name: "E").SetInput("label", "String", Expression.Literal("e"));
        d.AddActivity("join", "Elsa.FlowJoin", name: "Join").SetInput("mode", "String", Expression.Literal("WaitAll"));
        d.AddActivity("f", "Alignment.Test.Gate", name: "F").SetInput("label", "String", Expression.Literal("f"));
        d.Connect("fork", "a");
        d.Connect("fork", "decide");
        d.Connect("decide", "e", "True");
        d.Connect("a", "join");
        d.Connect("e", "join");
        d.Connect("join", "f");

        var result = await home.Run(home.Write(d));

        Assert.Equal(InstanceStatus.Finished, result.Status);
        Assert.Equal(["fork", "a", "decide", "join", "f"], home.Engine.Detail(result.InstanceId).Executions.Select(e => e.ActivityId));
    }

    [Fact]
    public async Task Bad_requests_are_clear_errors_and_write_nothing()
    {
        using var home = new TestHome();
        Assert.Contains("no workflow instance 'feedbeef'", (await Assert.ThrowsAsync<WorkflowNotFoundException>(() => home.Engine.ResumeAsync("feedbeef"))).Message);
        var bad = home.Write("{\"root\": {\"type\": \"Elsa.Flowchart\", \"activities\": [}", "bad.json");
        Assert.Contains("bad.json:1:", Assert.Throws<DefinitionFormatException>(() => home.Engine.Start(bad, new Dictionary<string, string>())).Message);
        Assert.Contains("declares no input 'colour'",
            Assert.Throws<WorkflowException>(() => home.Engine.Start(TestHome.RoundTripWorkflow, new Dictionary<string, string> { ["colour"] = "red" })).Message);
        Assert.Empty(home.Engine.Repository.List());

        var waiting = await home.Run(TestHome.RoundTripWorkflow, Judge("human"));
        Assert.True(home.Engine.Cancel(waiting.InstanceId[..6]));
        var detail = home.Engine.Detail(waiting.InstanceId);
        Assert.Equal(InstanceStatus.Cancelled, detail.Instance.Status);
        Assert.Equal("cancelled", detail.Executions.Single(e => e.ActivityId == "judge").Status.ToCode());
        Assert.Contains("cancelled", (await Assert.ThrowsAsync<WorkflowStateException>(() => home.Engine.ResumeAsync(waiting.InstanceId))).Message);

        var finished = await home.Run(TestHome.RoundTripWorkflow);
        Assert.Contains("finished", (await Assert.ThrowsAsync<WorkflowStateException>(() => home.Engine.ResumeAsync(finished.InstanceId))).Message);
        Assert.Throws<WorkflowStateException>(() => home.Engine.Cancel(finished.InstanceId));
    }

    [Fact]
    public void Of_many_racing_engines_exactly_one_takes_the_lease()
    {
        using var home = new TestHome();
        string id = home.Engine.Start(TestHome.RoundTripWorkflow, new Dictionary<string, string>());
        home.Engine.Db.Write((c, t) => Dapper.SqlMapper.Execute(c, "UPDATE workflow_instances SET lease_owner = NULL WHERE id = @id", new { id }, t));

        var owners = Enumerable.Range(0, 8).Select(i => $"{ProcessIdentity.Current}:racer{i}").ToList();
        var won = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(owners, owner =>
        {
            try { InstanceLease.Acquire(home.Engine.Db, id, owner, TimeSpan.FromMinutes(1)); won.Add(owner); }
            catch (WorkflowStateException) { }
        });

        Assert.Single(won);
        Assert.Contains("is being run by process", Assert.Throws<WorkflowStateException>(() =>
            InstanceLease.Acquire(home.Engine.Db, id, ProcessIdentity.Current + ":late", TimeSpan.FromMinutes(1))).Message);
    }
}
