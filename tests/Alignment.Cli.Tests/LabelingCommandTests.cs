using System.Diagnostics;
using System.Text.Json;
using Alignment.Data.Annotators;
using Alignment.Data.Store;
using Alignment.Data.Tests;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Cli.Tests;

// `align annotators`, `projects`, `import`, `export`, `serve` and `bench labeling`, each on its own home folder.
public sealed class LabelingCommandTests : IDisposable
{
    private readonly string _home = Directory.CreateTempSubdirectory("align-cli-labeling-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_home, recursive: true); } catch (IOException) { }
    }

    private CliRunner.Result Align(params string[] args) => CliRunner.Run([.. args, "--home", _home]);

    private long Count(string sql) => AlignStore.OpenHome(_home).Read(c => c.ExecuteScalar<long>(sql));

    private string File(string name, string content)
    {
        var path = Path.Combine(_home, name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    private const string Pairs =
        "{\"prompt\":\"2+2?\",\"response_a\":\"4\",\"response_b\":\"5\",\"model_a\":\"good\",\"model_b\":\"bad\"}\n" +
        "{\"prompt\":\"3+3?\",\"response_a\":\"6\",\"response_b\":\"9\",\"model_a\":\"good\",\"model_b\":\"bad\"}\n";

    [Fact]
    public void Annotators_add_prints_a_working_token_once_and_list_never_shows_it()
    {
        var added = Align("annotators", "add", "alice", "--role", "admin");

        Assert.True(added.ExitCode == 0, added.Error);
        var token = added.Out.Trim().Split('\n')[^1].Trim();
        Assert.StartsWith("aln_", token);
        Assert.Equal("alice", new AnnotatorService(AlignStore.OpenHome(_home)).Authenticate(token)?.Name);

        var list = Align("annotators", "list");
        Assert.Contains("alice", list.Out);
        Assert.Contains("admin", list.Out);
        Assert.DoesNotContain(token, list.Out);
    }

    [Fact]
    public void Annotators_add_refuses_a_taken_name_and_an_unknown_role()
    {
        Align("annotators", "add", "bob");

        var again = Align("annotators", "add", "bob");
        Assert.Equal(2, again.ExitCode);
        Assert.Contains("already exists", again.Error);

        var role = Align("annotators", "add", "carl", "--role", "owner");
        Assert.Equal(1, role.ExitCode);
        Assert.Contains("owner", role.Error);
        Assert.Equal(1, Count("SELECT COUNT(1) FROM annotators"));
    }

    [Fact]
    public void Projects_create_import_and_export_round_trip()
    {
        var guidelines = File("guide.md", "# Prefer correct answers");
        Assert.Equal(0, Align("projects", "create", "math", "--overlap", "1", "--guidelines", guidelines).ExitCode);
        Assert.Equal("# Prefer correct answers", AlignStore.OpenHome(_home).Read(c => c.ExecuteScalar<string>("SELECT guidelines_md FROM projects")));

        var import = Align("import", File("pairs.jsonl", Pairs), "--project", "math", "--kind", "pairs");
        Assert.True(import.ExitCode == 0, import.Error);
        Assert.Contains("2 new comparisons", import.Out);
        Assert.Contains("math", Align("projects", "list").Out);

        // Judge both through the store, preferring the model "good".
        var store = AlignStore.OpenHome(_home);
        var annotator = new AnnotatorService(store).Create("judge", Data.Model.AnnotatorRole.Annotator).Annotator.Id;
        Assert.Equal(0, Align("projects", "members", "add", "math", "judge").ExitCode);
        var queue = new Data.Labeling.QueueService(store);
        var projectId = store.Read(c => c.ExecuteScalar<long>("SELECT id FROM projects"));
        while (queue.NextItem(projectId, annotator) is { } item)
            queue.Submit(item.AssignmentId, annotator, new Data.Labeling.JudgmentInput(
                item.LeftText is "4" or "6" ? Data.Model.ShownChoice.Left : Data.Model.ShownChoice.Right, item.LeftText is "4" or "6" ? -3 : 3));

        var trl = Path.Combine(_home, "out", "prefs.jsonl");
        Directory.CreateDirectory(Path.GetDirectoryName(trl)!);
        var export = Align("export", "--project", "math", "--format", "trl", "--output", trl);
        Assert.True(export.ExitCode == 0, export.Error);
        var rows = System.IO.File.ReadAllLines(trl).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["4", "6"], rows.Select(r => r.GetProperty("chosen").GetString()).Order());
        Assert.All(rows, r => Assert.Equal(1.0, r.GetProperty("margin").GetDouble()));

        var kto = Path.Combine(_home, "out", "kto.jsonl");
        Assert.Equal(0, Align("export", "--project", "math", "--format", "kto", "--output", kto).ExitCode);
        Assert.Equal(4, System.IO.File.ReadAllLines(kto).Length);
        Assert.False(System.IO.File.Exists(kto + ".preferences.tmp"));

        var csv = Path.Combine(_home, "out", "judgments.csv");
        Assert.Equal(0, Align("export", "--project", "math", "--format", "csv", "--output", csv).ExitCode);
        Assert.Equal(3, System.IO.File.ReadAllLines(csv).Length);
    }

    [Fact]
    public void Projects_members_add_list_remove_and_create_with_members()
    {
        Align("annotators", "add", "ann");
        Align("annotators", "add", "bob");

        var created = Align("projects", "create", "math", "--member", "ann", "--member", "bob");
        Assert.True(created.ExitCode == 0, created.Error);
        Assert.Equal(2, Count("SELECT COUNT(1) FROM project_members"));
        var list = Align("projects", "members", "list", "math");
        Assert.Contains("ann", list.Out);
        Assert.Contains("bob", list.Out);

        var removed = Align("projects", "members", "remove", "math", "bob");
        Assert.True(removed.ExitCode == 0, removed.Error);
        Assert.Contains("no longer a member", removed.Out);
        Assert.DoesNotContain("bob", Align("projects", "members", "list", "math").Out);
        Assert.Contains("already a member", Align("projects", "members", "add", "math", "ann").Out);

        Assert.Equal(0, Align("projects", "create", "empty").ExitCode);
        Assert.Contains("has no members", Align("projects", "members", "list", "empty").Out);
    }

    [Fact]
    public void Members_of_unknown_projects_or_accounts_are_errors_and_create_writes_nothing()
    {
        Align("annotators", "add", "ann");
        Align("projects", "create", "math");

        var account = Align("projects", "members", "add", "math", "nobody");
        Assert.Equal(2, account.ExitCode);
        Assert.Contains("no annotator named 'nobody'", account.Error);
        var project = Align("projects", "members", "add", "nope", "ann");
        Assert.Equal(2, project.ExitCode);
        Assert.Contains("Project 'nope' does not exist", project.Error);

        var create = Align("projects", "create", "other", "--member", "ann", "--member", "ghost");
        Assert.Equal(2, create.ExitCode);
        Assert.Contains("--member: there is no annotator named 'ghost'", create.Error);
        Assert.Equal(1, Count("SELECT COUNT(1) FROM projects"));
        Assert.Equal(0, Count("SELECT COUNT(1) FROM project_members"));
    }

    [Fact]
    public void Serve_refuses_a_bad_proxy_and_a_proxy_without_behind_proxy()
    {
        var bad = Align("serve", "--port", "0", "--behind-proxy", "--proxy", "proxy.example");
        Assert.Equal(1, bad.ExitCode);
        Assert.Contains("--proxy 'proxy.example' is not an IP address or network", bad.Error);

        var alone = Align("serve", "--port", "0", "--proxy", "10.0.0.5");
        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("--proxy needs --behind-proxy", alone.Error);
    }

    [Fact]
    public void A_bad_store_url_or_a_server_that_is_down_is_one_error_line_with_exit_code_2()
    {
        var badUrl = Align("projects", "list", "--store", "postgresql://align@127.0.0.1:5432");
        Assert.Equal(2, badUrl.ExitCode);
        Assert.Contains("names no database (add /DATABASE after the host)", badUrl.Error);

        var neither = Align("annotators", "list", "--store", "mysql://x@y/z");
        Assert.Equal(2, neither.ExitCode);
        Assert.Contains("is neither sqlite:PATH nor a postgresql://", neither.Error);

        // A port nobody listens on: the server is down.
        int port;
        using (var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        var url = $"postgresql://align:secret@127.0.0.1:{port}/align";
        foreach (var args in new[] { new[] { "projects", "create", "math", "--store", url }, ["serve", "--port", "0", "--store", url] })
        {
            var down = Align(args);
            Assert.Equal(2, down.ExitCode);
            Assert.Contains($"The store 'postgresql://align:***@127.0.0.1:{port}/align' cannot be reached", down.Error);
            Assert.Contains("start the PostgreSQL server or fix the URL's host and port", down.Error);
            Assert.DoesNotContain("secret", down.Error);
            Assert.DoesNotContain("   at ", down.Error);
        }
        Assert.False(System.IO.File.Exists(Path.Combine(_home, "align.db")));
    }

    [PostgresFact]
    public void Store_points_the_labeling_commands_at_postgresql_and_a_newer_schema_is_refused()
    {
        using var db = new PostgresTestDatabase();

        Assert.Equal(0, Align("annotators", "add", "alice", "--store", db.Url).ExitCode);
        var created = Align("projects", "create", "math", "--member", "alice", "--store", db.Url);
        Assert.True(created.ExitCode == 0, created.Error);
        var imported = Align("import", File("p.jsonl", Pairs), "--project", "math", "--kind", "pairs", "--store", db.Url);
        Assert.True(imported.ExitCode == 0, imported.Error);
        Assert.Contains("math", Align("projects", "list", "--store", db.Url).Out);
        Assert.False(System.IO.File.Exists(Path.Combine(_home, "align.db")));
        using (var connection = db.Open())
        {
            Assert.Equal(2L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM comparisons"));
            connection.Execute("INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES ('data', 99, 'future', 'x')");
        }

        var newer = Align("projects", "list", "--store", db.Url);
        Assert.Equal(2, newer.ExitCode);
        Assert.Contains("schema version 99", newer.Error);
        Assert.Contains("Upgrade Alignment", newer.Error);
    }

    [Fact]
    public void A_bad_import_names_the_line_and_writes_nothing()
    {
        Align("projects", "create", "math");

        var bad = Align("import", File("bad.jsonl", Pairs + "{\"prompt\":\"4+4?\",\"response_a\":\"8\"}\n"), "--project", "math", "--kind", "pairs");

        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("bad.jsonl:3: field \"response_b\" is missing", bad.Error);
        Assert.Equal(0, Count("SELECT COUNT(1) FROM comparisons"));
    }

    [Fact]
    public void Unknown_projects_and_missing_files_are_errors_not_stack_traces()
    {
        var unknown = Align("import", File("p.jsonl", Pairs), "--project", "nope", "--kind", "pairs");
        Assert.Equal(2, unknown.ExitCode);
        Assert.Contains("Project 'nope' does not exist", unknown.Error);

        Align("projects", "create", "math");
        var missing = Align("import", Path.Combine(_home, "absent.jsonl"), "--project", "math", "--kind", "pairs");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("does not exist", missing.Error);

        var export = Align("export", "--project", "nope", "--format", "csv", "--output", Path.Combine(_home, "x.csv"));
        Assert.Equal(2, export.ExitCode);
        Assert.DoesNotContain("   at ", export.Error);
    }

    [Fact]
    public void Responses_import_can_pair_them_into_comparisons()
    {
        Align("projects", "create", "math");
        const string csv = "prompt,response,model\n2+2?,4,m1\n2+2?,5,m2\n2+2?,four,m3\n";

        var result = Align("import", File("responses.csv", csv), "--project", "math", "--kind", "responses", "--pair", "all");

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Contains("3 new comparisons", result.Out);
        Assert.Equal(3, Count("SELECT COUNT(1) FROM comparisons"));
    }

    [Theory]
    [InlineData("serve", "--port")]
    [InlineData("serve", "--behind-proxy")]
    [InlineData("projects members", "add")]
    [InlineData("annotators", "add")]
    [InlineData("projects", "create")]
    [InlineData("import", "--kind")]
    [InlineData("export", "--format")]
    public void Help_describes_the_labeling_commands(string command, string expected)
    {
        var r = CliRunner.Run([.. command.Split(' '), "--help"]);

        Assert.Equal(0, r.ExitCode);
        Assert.Contains(expected, r.Out);
    }

    [Fact]
    public void Bench_labeling_json_reports_the_store_and_the_api()
    {
        var r = CliRunner.Run("bench", "labeling", "--judgments", "3000", "--samples", "50", "--seconds", "0.5", "--clients", "2", "--api-comparisons", "300", "--json");

        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var store = doc.RootElement.GetProperty("store");
        Assert.Equal("sqlite", store.GetProperty("provider").GetString());
        // 10,000 open comparisons (the floor), half of them with one judgment: 5,000 judgments, more than the 3,000 asked
        // for, and no complete comparison ((3,000 − 5,000) / k < 0).
        Assert.Equal(5000, store.GetProperty("judgments_in_store").GetInt64());
        Assert.Equal(10_000, store.GetProperty("comparisons").GetInt64());
        Assert.True(store.GetProperty("next_item_p95_ms").GetDouble() > 0);
        Assert.Equal(JsonValueKind.Null, doc.RootElement.GetProperty("postgresql").ValueKind);
        var api = doc.RootElement.GetProperty("api");
        Assert.True(api.GetProperty("judgments").GetInt64() > 0);
        Assert.Equal(0, api.GetProperty("errors").GetInt64());
        Assert.True(api.GetProperty("judgments_per_second").GetDouble() > 0);
        Assert.Equal(20, doc.RootElement.GetProperty("target_next_item_p95_ms").GetDouble());
    }

    [PostgresFact]
    public void Bench_labeling_with_a_postgresql_store_measures_it_next_to_sqlite_in_a_schema_it_drops()
    {
        using var db = new PostgresTestDatabase();

        var r = CliRunner.Run("bench", "labeling", "--judgments", "30000", "--samples", "50", "--seconds", "0.5", "--clients", "2",
            "--api-comparisons", "300", "--store", db.Url, "--json");

        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var sqlite = doc.RootElement.GetProperty("store");
        var postgres = doc.RootElement.GetProperty("postgresql");
        Assert.Equal("sqlite", sqlite.GetProperty("provider").GetString());
        Assert.Equal("postgresql", postgres.GetProperty("provider").GetString());
        // 5,000 half-open comparisons with one judgment, then (30,000 − 5,000) / 2 = 12,500 complete ones with two:
        // 30,000 judgments on 12,500 + 10,000 comparisons, counted in each store.
        foreach (var measured in new[] { sqlite, postgres })
        {
            Assert.Equal(30_000, measured.GetProperty("judgments_in_store").GetInt64());
            Assert.Equal(22_500, measured.GetProperty("comparisons").GetInt64());
            Assert.True(measured.GetProperty("next_item_p95_ms").GetDouble() > 0);
            Assert.True(measured.GetProperty("judgments_per_second").GetDouble() > 0);
        }
        using var connection = db.Open();
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM information_schema.schemata WHERE schema_name LIKE 'align_bench_%'"));
        Assert.Null(connection.ExecuteScalar<string?>("SELECT to_regclass('public.comparisons')::text"));
    }

    [Fact]
    public void Bench_labeling_refuses_a_store_that_is_not_postgresql()
    {
        var r = CliRunner.Run("bench", "labeling", "--store", "sqlite:" + Path.Combine(_home, "x.db"), "--json");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--store here takes a postgresql:// URL", r.Error);
        Assert.Equal("", r.Out);
        Assert.False(System.IO.File.Exists(Path.Combine(_home, "x.db")));
    }

    [Fact]
    public async Task Serve_listens_on_loopback_and_serves_the_sign_in_page()
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = _home,
        };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "align.dll"), "serve", "--port", "0", "--home", _home })
            start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            string? url = null;
            while (url is null && await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
                if (line.StartsWith("Labeling UI: ", StringComparison.Ordinal))
                    url = line["Labeling UI: ".Length..].Split(' ')[0].TrimEnd('/');
            Assert.NotNull(url);
            Assert.StartsWith("http://127.0.0.1:", url);

            using var http = new HttpClient();
            var page = await http.GetStringAsync(url + "/signin", timeout.Token);
            Assert.Contains("Login token", page);
        }
        finally
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }
}
