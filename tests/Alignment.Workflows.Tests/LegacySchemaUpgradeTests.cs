using Alignment.Data.Annotators;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Workflows.Tests;

// Databases made before migrations had owners kept one list in schema_version (1 initial, 2 workflows, 3 workflow
// definitions, 4 access). The test builds such a file the way that code did (the same SQL scripts in that order, one
// schema_version row each) and opens it with today's store and engine.
public sealed class LegacySchemaUpgradeTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("align-legacy-schema-").FullName;
    private const string Then = "2026-10-01T08:00:00.000Z";

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    private string DatabasePath => Path.Combine(_home, "align.db");

    /// <summary>Writes a single-list database at <paramref name="legacyVersion"/> (1 to 4), as the code before owned migrations did.</summary>
    private void WriteLegacyFile(int legacyVersion)
    {
        Migration[] singleList = [Migrator.Data.Migrations[0], EngineMigrations.Set.Migrations[0], EngineMigrations.Set.Migrations[1], Migrator.Data.Migrations[1]];
        string[] names = ["initial", "workflows", "workflow_definitions", "access"];
        using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        connection.Open();
        using var transaction = connection.BeginTransaction();
        connection.Execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)", transaction: transaction);
        for (var v = 1; v <= legacyVersion; v++)
        {
            connection.Execute(singleList[v - 1].Sql, transaction: transaction);
            connection.Execute("INSERT INTO schema_version (version, name, applied_at) VALUES (@v, @name, @Then)", new { v, name = names[v - 1], Then }, transaction);
        }
        connection.Execute("INSERT INTO projects (name, created_at) VALUES ('old-project', @Then)", new { Then }, transaction);
        connection.Execute("INSERT INTO annotators (name, role, token_hash, created_at) VALUES ('ann', 'annotator', 'h', @Then)", new { Then }, transaction);
        if (legacyVersion >= 3)
            connection.Execute(
                """
                INSERT INTO workflow_definitions (definition_id, version, name, json, is_latest, created_at, created_by)
                VALUES ('old-flow', 1, 'Old flow', @json, 1, @Then, 'cli')
                """,
                new { json = File.ReadAllText(TestHome.RoundTripWorkflow).Replace("labeling-roundtrip", "old-flow"), Then }, transaction);
        transaction.Commit();
    }

    private List<(string Owner, long Version, string AppliedAt)> Recorded(AlignStore store) =>
        store.Read(c => c.Query<(string, long, string)>("SELECT owner, version, applied_at FROM schema_migrations ORDER BY owner, version").ToList());

    [Fact]
    public async Task A_database_of_the_single_list_opens_with_its_data_and_its_versions_assigned_to_their_owners()
    {
        WriteLegacyFile(4);

        var engine = new WorkflowEngine(_home, TestHome.Registry());
        var store = engine.Db;

        // Every legacy version was recorded under its owner with its original time: nothing re-ran; the data owner's
        // later migrations (the key ring, 3; the queue's covering index, 4) and the engine's (the execution's worker, 3)
        // were applied now.
        Assert.Equal([("data", 1L, Then), ("data", 2L, Then), ("workflows", 1L, Then), ("workflows", 2L, Then)], Recorded(store).Where(r => r.AppliedAt == Then));
        Assert.Equal([("data", 3L), ("data", 4L), ("workflows", 3L)], Recorded(store).Where(r => r.AppliedAt != Then).Select(r => (r.Owner, r.Version)));
        Assert.Equal(Migrator.Data.LatestVersion, store.SchemaVersion);
        Assert.Equal("old-project", Assert.Single(new ProjectService(store).List()).Name);
        Assert.NotNull(new AnnotatorService(store).Find("ann"));
        var stored = new DefinitionRepository(store).Get("old-flow");
        Assert.Equal(("Old flow", 1), (stored.Info.Name, stored.Info.Version));
        // A build that knows only schema_version (up to 4) now finds a version above it and refuses the file.
        Assert.Equal(Migrator.LegacyFenceVersion, store.Read(c => c.ExecuteScalar<long>("SELECT MAX(version) FROM schema_version")));

        // The engine works on the upgraded file, and opening it again changes nothing.
        var result = await engine.RunAsync(engine.Start(TestHome.RoundTripWorkflow, new Dictionary<string, string>()));
        Assert.Equal(InstanceStatus.Finished, result.Status);
        var again = new WorkflowEngine(_home, TestHome.Registry());
        Assert.Equal(7, Recorded(again.Db).Count);   // data 1–4, workflows 1–3
    }

    [Fact]
    public void A_database_from_before_the_workflow_tables_gets_the_data_owners_next_migration_and_then_the_engines()
    {
        WriteLegacyFile(1);

        var store = AlignStore.Open(DatabasePath);
        var data = Recorded(store);
        Assert.Equal([("data", 1L), ("data", 2L), ("data", 3L), ("data", 4L)], data.Select(r => (r.Owner, r.Version)));
        Assert.Equal(Then, data[0].AppliedAt);
        Assert.NotEqual(Then, data[1].AppliedAt);
        // The access migration ran over the old rows: the old account is a member of the old project.
        Assert.Equal(1L, store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM project_members")));
        Assert.Equal(0L, store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM sqlite_master WHERE name = 'workflow_instances'")));

        var engine = new WorkflowEngine(_home, TestHome.Registry());
        Assert.Equal(["data", "data", "data", "data", "workflows", "workflows", "workflows"], Recorded(engine.Db).Select(r => r.Owner));
        Assert.Empty(new DefinitionRepository(engine.Db).List());
    }
}
