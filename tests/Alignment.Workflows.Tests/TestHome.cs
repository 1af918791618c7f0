using System.Text.Json.Nodes;
using Alignment.Data.Tests;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

/// <summary>
/// A temporary home folder per test, with an engine over it (built-in plus test activities). The engine's tables are
/// in the home's SQLite file, or with <paramref name="provider"/> "postgresql" in a fresh database on the test server
/// (<see cref="PostgresTestDatabase"/>), dropped on dispose; artifacts stay in the home folder either way.
/// </summary>
public sealed class TestHome : IDisposable
{
    private readonly PostgresTestDatabase? _database;

    public TestHome(string provider = "sqlite")
    {
        Folder = Path.Combine(Path.GetTempPath(), "align-wf-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Home = Path.Combine(Folder, "home");
        if (provider == "postgresql")
        {
            _database = new PostgresTestDatabase();
            Store = new UriBuilder(PostgresFactAttribute.Url!) { Path = "/" + _database.Name }.Uri.ToString();
        }
        else if (provider != "sqlite")
            throw new ArgumentException($"unknown store provider '{provider}'", nameof(provider));
        Engine = NewEngine();
    }

    public string Folder { get; }
    public string Home { get; }
    public WorkflowEngine Engine { get; }

    /// <summary>The store URL given to engines (null: the home's SQLite file).</summary>
    public string? Store { get; }

    public static ActivityRegistry Registry() => ActivityRegistry.CreateBuiltIn().RegisterAssembly(typeof(TestGateActivity).Assembly);

    public WorkflowEngine NewEngine(string? owner = null) =>
        new(Home, Registry(), new WorkflowEngineOptions { Owner = owner ?? ProcessIdentity.Current, Heartbeat = TimeSpan.FromMilliseconds(100), Store = Store });

    /// <summary>Writes a definition into the test folder and returns its path.</summary>
    public string Write(WorkflowDefinition definition, string name = "workflow.json")
    {
        var path = Path.Combine(Folder, name);
        DefinitionSerializer.Save(definition, path);
        return path;
    }

    public string Write(string json, string name = "workflow.json")
    {
        var path = Path.Combine(Folder, name);
        File.WriteAllText(path, json);
        return path;
    }

    public async Task<RunResult> Run(string path, Dictionary<string, string>? inputs = null, bool force = false) =>
        await Engine.RunAsync(Engine.Start(path, inputs ?? [], force));

    /// <summary>The latest outputs of each activity that produced any, by activity id.</summary>
    public Dictionary<string, JsonObject> Outputs(string instanceId) => Engine.Detail(instanceId).Executions
        .Where(e => e.Status.ToCode() is "completed" or "cached" && e.Outputs is not null && !e.Outputs.ContainsKey("ports"))
        .GroupBy(e => e.ActivityId).ToDictionary(g => g.Key, g => g.Last().Outputs!);

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _database?.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    /// <summary>The repository root (holding Alignment.sln).</summary>
    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("Alignment.sln not found above the test folder");
        }
    }

    public static string RoundTripWorkflow => Path.Combine(RepoRoot, "workflows", "labeling-roundtrip.json");
    public static string DemoResponses => Path.Combine(RepoRoot, "data", "labeling-demo", "responses.jsonl");
    public static string DemoRules => Path.Combine(RepoRoot, "data", "labeling-demo", "judge-rules.json");
}
