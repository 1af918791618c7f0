using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// The engine's tables on both providers: the same cases against the home's SQLite file and against a fresh PostgreSQL
// database (skipped without ALIGN_TEST_POSTGRES): stored definitions, a forked run with its artifacts and lineage, the
// stage cache, bookmarks found by payload, the instance lease under a race. (A failed stage resumed on both providers:
// EngineTests.Transient_failures_are_retried_and_a_permanent_one_faults_until_fixed.)
public class EngineStoreProviderTests
{
    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    [Theory, InlineData("sqlite"), PostgresData]
    public void Definitions_are_stored_as_versions_and_listed(string provider)
    {
        using var home = new TestHome(provider);
        var repository = new DefinitionRepository(home.Engine.Db);
        var d = WorkflowDefinition.Create("pair", "Pair");
        d.AddActivity("a", "Alignment.Test.Gate").SetInput("label", "String", Expression.Literal("a"));
        repository.Save(d, "alice", 0, sourceDir: home.Folder);
        d.Name = "Pair two";
        repository.Save(d, "bob", 1);
        repository.Save(WorkflowDefinition.Create("other", "Other"), "cli", 0);

        Assert.Equal([("other", 1, true), ("pair", 2, true), ("pair", 1, false)],
            repository.List().Select(v => (v.DefinitionId, v.Version, v.IsLatest)));
        var latest = repository.Get("pair");
        Assert.Equal((2, "Pair two", "bob", 1, home.Folder), (latest.Info.Version, latest.Info.Name, latest.Info.CreatedBy, latest.Info.ErrorCount, latest.Info.SourceDir));
        Assert.Equal("pair-v2", (string?)latest.Definition.Json["id"]);
        var first = repository.Get("pair", 1);
        Assert.Equal(("Pair", false), (first.Definition.Name, first.Definition.IsLatest));
        Assert.Contains("has no version 3", Assert.Throws<WorkflowNotFoundException>(() => repository.Get("pair", 3)).Message);
    }

    [Theory, InlineData("sqlite"), PostgresData]
    public async Task A_forked_run_records_its_artifacts_with_lineage_and_the_next_run_comes_from_the_cache(string provider)
    {
        using var home = new TestHome(provider);
        var prompts = Path.Combine(home.Folder, "prompts.jsonl");
        File.WriteAllText(prompts, "{\"prompt\":\"Say hi.\"}\n{\"prompt\":\"Say bye.\"}\n");
        var d = WorkflowDefinition.Create("forked", "Forked");
        var import = d.AddActivity("import", "Alignment.ImportDataset");
        import.SetInput("path", "String", Expression.Literal(prompts));
        import.SetInput("format", "String", Expression.Literal("prompts"));
        d.AddActivity("fork", "Elsa.FlowFork");
        foreach (var label in new[] { "a", "b" })
        {
            var gate = d.AddActivity(label, "Alignment.Test.Gate");
            gate.SetInput("label", "String", Expression.Literal(label));
            gate.SetInput("after", "Artifact", Expression.Output("import", "dataset"));
        }
        d.AddActivity("join", "Elsa.FlowJoin").SetInput("mode", "String", Expression.Literal("WaitAll"));
        d.Connect("import", "fork");
        d.Connect("fork", "a");
        d.Connect("fork", "b");
        d.Connect("a", "join");
        d.Connect("b", "join");
        var path = home.Write(d);

        var first = await home.Run(path);
        var second = await home.Run(path);

        Assert.Equal((InstanceStatus.Finished, InstanceStatus.Finished), (first.Status, second.Status));
        var runs = home.Engine.Detail(first.InstanceId[..6]).Executions;
        Assert.Equal(["import", "fork", "a", "b", "join"], runs.Select(e => e.ActivityId));
        Assert.All(runs, e => Assert.Equal("completed", e.Status.ToCode()));
        var outputs = home.Outputs(first.InstanceId);
        string dataset = (string)outputs["import"]["dataset"]!;
        Assert.Equal(dataset, Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(home.Engine.Artifacts.PathOf(dataset)))));
        string reportA = (string)outputs["a"]["report"]!, reportB = (string)outputs["b"]["report"]!;
        Assert.Equal(Sha256($"gate a after {dataset}\n"), reportA);
        Assert.Equal(Sha256($"gate b after {dataset}\n"), reportB);

        Assert.Equal([new ArtifactInput("after", dataset)], home.Engine.Artifacts.Find(reportA)!.Provenance.Inputs);
        Assert.Equal("dataset", home.Engine.Artifacts.Find(dataset)?.Kind.ToString().ToLowerInvariant());
        var lineage = home.Engine.Artifacts.Lineage(reportA[..8]);
        Assert.Equal([(0, null, reportA), (1, "after", dataset)], lineage.Select(l => (l.Depth, l.ViaInput, l.Artifact.Hash)));
        Assert.Equal(("Alignment.Test.Gate", first.InstanceId, "a"),
            (lineage[0].Artifact.Provenance.Producer!.StageType, lineage[0].Artifact.Provenance.Producer!.InstanceId, lineage[0].Artifact.Provenance.Producer!.ActivityId));
        Assert.Equal(new[] { reportA, reportB }.Order(StringComparer.Ordinal), home.Engine.Artifacts.UsedBy(dataset));
        Assert.Equal(3, home.Engine.Artifacts.List().Count);

        var cached = home.Engine.Detail(second.InstanceId).Executions.Where(e => e.ActivityId is "import" or "a" or "b");
        Assert.Equal(["cached", "cached", "cached"], cached.Select(e => e.Status.ToCode()));
        Assert.Equal(reportB, (string)home.Outputs(second.InstanceId)["b"]["report"]!);
        Assert.Equal(new[] { second.InstanceId, first.InstanceId }.Order(StringComparer.Ordinal), home.Engine.Repository.List().Select(i => i.Id).Order(StringComparer.Ordinal));
    }

    [Theory, InlineData("sqlite"), PostgresData]
    public void Bookmarks_are_found_by_payload_and_of_racing_engines_one_takes_the_lease(string provider)
    {
        using var home = new TestHome(provider);
        var d = WorkflowDefinition.Create("one", "One");
        d.AddActivity("a", "Alignment.Test.Gate").SetInput("label", "String", Expression.Literal("a"));
        string id = home.Engine.Start(home.Write(d), new Dictionary<string, string>(), force: true);
        Assert.True(home.Engine.Repository.Get(id).Force);
        home.Engine.Db.Write((c, t) =>
        {
            home.Engine.Repository.SetBookmark(c, t, id, "a", new Bookmark("judgments", new JsonObject { ["project"] = "p1" }, "waiting"));
            Dapper.SqlMapper.Execute(c, "UPDATE workflow_instances SET lease_owner = NULL WHERE id = @id", new { id }, t);
        });
        Assert.Equal([id], home.Engine.Repository.WaitingOn("judgments", "project", "p1"));
        Assert.Empty(home.Engine.Repository.WaitingOn("judgments", "project", "p2"));
        Assert.Empty(home.Engine.Repository.WaitingOn("other", "project", "p1"));

        var won = new System.Collections.Concurrent.ConcurrentBag<string>();
        Parallel.ForEach(Enumerable.Range(0, 8), i =>
        {
            try { InstanceLease.Acquire(home.Engine.Db, id, $"{ProcessIdentity.Current}:racer{i}", TimeSpan.FromMinutes(1)); won.Add($"racer{i}"); }
            catch (WorkflowStateException) { }
        });
        Assert.Single(won);
        Assert.True(InstanceLease.IsHeld(home.Engine.Db, id));
    }
}
