using System.Net;
using System.Text;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Execution;
using Dapper;

namespace Alignment.LabelingUi.Tests.Runs;

// The runs dashboard's API: metric tailing of a stage that is still training, the artifact file endpoint's refusals,
// admins only, and lineage edges equal to artifact_inputs.
public class RunsApiTests
{
    [Fact]
    public async Task Metrics_rows_appended_between_calls_arrive_once_and_a_partial_last_line_waits()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var (id, runDir) = RunFixtures.RunningDpoStage(engine, totalSteps: 10);
        var metrics = Path.Combine(runDir, "metrics.jsonl");
        var line3 = RunFixtures.MetricsLine(3);
        File.WriteAllText(metrics, RunFixtures.MetricsLine(1) + RunFixtures.MetricsLine(2) + line3[..20]);   // step 3 half-written
        var api = app.Api(app.Token("root", AnnotatorRole.Admin));

        var first = await (await api.GetAsync($"/api/runs/{id}/metrics?stage=dpo&after=0")).Json();
        Assert.True(first.GetProperty("running").GetBoolean());
        Assert.Equal(10, first.GetProperty("total_steps").GetInt32());
        Assert.Equal([1, 2], first.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("step").GetInt32()));
        Assert.Equal(0.69, first.GetProperty("rows")[0].GetProperty("loss").GetDouble(), 12);
        Assert.Equal(0.4, first.GetProperty("rows")[1].GetProperty("rewards/margins").GetDouble(), 12);
        Assert.Equal(2, first.GetProperty("next").GetInt32());

        // Nothing new yet: the same `after` gives no rows and the same `next`.
        var again = await (await api.GetAsync($"/api/runs/{id}/metrics?stage=dpo&after=2")).Json();
        Assert.Empty(again.GetProperty("rows").EnumerateArray());
        Assert.Equal(2, again.GetProperty("next").GetInt32());

        // The trainer finishes line 3 and writes line 4: exactly those arrive.
        File.AppendAllText(metrics, line3[20..] + RunFixtures.MetricsLine(4));
        var second = await (await api.GetAsync($"/api/runs/{id}/metrics?stage=dpo&after={first.GetProperty("next").GetInt32()}")).Json();
        Assert.Equal([3, 4], second.GetProperty("rows").EnumerateArray().Select(r => r.GetProperty("step").GetInt32()));
        Assert.Equal(0.3, second.GetProperty("rows")[0].GetProperty("rewards/chosen").GetDouble(), 12);
        Assert.Equal(4, second.GetProperty("next").GetInt32());

        // The running stage shows its training progress (last logged step of the announced total) in the stages table.
        var detail = await (await api.GetAsync($"/api/runs/{id}")).Json();
        var stage = detail.GetProperty("run").GetProperty("stages")[0];
        Assert.Equal("running", stage.GetProperty("status").GetString());
        Assert.Equal("step 4/10 loss 0.66", stage.GetProperty("progress").GetString());
        Assert.True(stage.GetProperty("has_metrics").GetBoolean());

        // A stage that is not a trainer, an unknown stage and a bad `after` are refused with a message.
        await (await api.GetAsync($"/api/runs/{id}/metrics?stage=nope")).AssertProblem(HttpStatusCode.NotFound, "no run of stage 'nope'");
        await (await api.GetAsync($"/api/runs/{id}/metrics?stage=dpo&after=-1")).AssertProblem(HttpStatusCode.BadRequest, "after must be 0 or more");
        await (await api.GetAsync($"/api/runs/{id}/metrics")).AssertProblem(HttpStatusCode.BadRequest, "'stage'");
        await (await api.GetAsync("/api/runs/ffffffffffff/metrics?stage=dpo")).AssertProblem(HttpStatusCode.NotFound, "no workflow instance");
    }

    [Fact]
    public async Task The_file_endpoint_serves_only_files_inside_the_artifact_folder()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var temp = engine.Artifacts.NewTempPath();
        Directory.CreateDirectory(Path.Combine(temp, "charts"));
        File.WriteAllText(Path.Combine(temp, "report.md"), "# Report\n\n![win rate](charts/win-rate.svg)\n");
        File.WriteAllText(Path.Combine(temp, "charts", "win-rate.svg"), "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>");
        File.WriteAllText(Path.Combine(temp, "page.html"), "<script>alert(1)</script>");
        var report = engine.Artifacts.Ingest(temp, ArtifactKind.Report, new ArtifactProvenance(null, null, new(), []));
        File.WriteAllText(Path.Combine(app.Home, "secret.txt"), "outside");
        File.CreateSymbolicLink(Path.Combine(report.Path, "escape.txt"), Path.Combine(app.Home, "secret.txt"));
        var api = app.Api(app.Token("root", AnnotatorRole.Admin));
        string files = $"/api/artifacts/{report.Hash}/files";

        var md = await api.GetAsync($"{files}/report.md");
        Assert.Equal(HttpStatusCode.OK, md.StatusCode);
        Assert.Equal("text/markdown; charset=utf-8", md.Content.Headers.ContentType?.ToString());
        Assert.Equal("# Report\n\n![win rate](charts/win-rate.svg)\n", await md.Content.ReadAsStringAsync());

        var svg = await api.GetAsync($"{files}/charts/win-rate.svg");
        Assert.Equal(HttpStatusCode.OK, svg.StatusCode);
        Assert.Equal("image/svg+xml", svg.Content.Headers.ContentType?.MediaType);
        var csp = string.Join(";", svg.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("default-src 'none'", csp);
        Assert.Contains("sandbox", csp);
        Assert.DoesNotContain("script-src", csp);

        // HTML is never shown as a page of this site: a download.
        var html = await api.GetAsync($"{files}/page.html");
        Assert.Equal("application/octet-stream", html.Content.Headers.ContentType?.MediaType);
        Assert.Equal("attachment", html.Content.Headers.ContentDisposition?.DispositionType);

        await (await api.GetAsync($"{files}/..%2F..%2Fsecret.txt")).AssertProblem(HttpStatusCode.BadRequest, "'..'");
        await (await api.GetAsync($"{files}/charts%2F..%2F..%2Fsecret.txt")).AssertProblem(HttpStatusCode.BadRequest, "'..'");
        await (await api.GetAsync($"{files}/%2Fetc%2Fpasswd")).AssertProblem(HttpStatusCode.BadRequest, "absolute paths are refused");
        await (await api.GetAsync($"{files}/{Uri.EscapeDataString(Path.Combine(app.Home, "secret.txt"))}")).AssertProblem(HttpStatusCode.BadRequest, "absolute paths are refused");
        await (await api.GetAsync($"{files}/escape.txt")).AssertProblem(HttpStatusCode.BadRequest, "symbolic links");
        await (await api.GetAsync($"{files}/charts")).AssertProblem(HttpStatusCode.NotFound, "is a folder");
        await (await api.GetAsync($"{files}/missing.md")).AssertProblem(HttpStatusCode.NotFound, "no file 'missing.md'");
        await (await api.GetAsync($"/api/artifacts/{new string('0', 64)}/files/report.md")).AssertProblem(HttpStatusCode.NotFound, "no artifact");

        // The artifact's details list its files.
        var details = await (await api.GetAsync($"/api/artifacts/{report.Hash[..10]}")).Json();
        Assert.Equal("report", details.GetProperty("kind").GetString());
        Assert.Equal(["charts/win-rate.svg", "escape.txt", "page.html", "report.md"], details.GetProperty("files").EnumerateArray().Select(f => f.GetString()));
    }

    [Fact]
    public async Task Annotators_get_403_on_every_runs_page_and_api()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var (id, _) = RunFixtures.RunningDpoStage(engine, totalSteps: 4);
        var token = app.Token("sam");
        var api = app.Api(token);
        foreach (var url in new[] { "/api/runs", $"/api/runs/{id}", $"/api/runs/{id}/metrics?stage=dpo", $"/api/runs/{id}/lineage", "/api/artifacts/abcd" })
            Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsync($"/api/runs/{id}/cancel", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await api.PostAsync($"/api/runs/{id}/resume", null)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await app.Api(null).GetAsync("/api/runs")).StatusCode);

        var browser = await app.SignedIn(token);
        foreach (var url in new[] { "/runs", $"/runs/{id}", $"/runs/artifacts/abcd", $"/runs/{id}/reports/abcd",
                     $"/ui/admin/runs/{id}/metrics?stage=dpo", "/ui/admin/artifacts/abcd/files/report.md" })
            Assert.Equal(HttpStatusCode.Forbidden, (await browser.GetAsync(url)).StatusCode);
        Assert.Equal(InstanceStatus.Running, engine.Repository.Get(id).Status);

        // The same pages for an admin.
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));
        var page = await admin.GetStringAsync($"/runs/{id}");
        Assert.Contains("data-metrics-url=\"/ui/admin/runs/" + id + "/metrics?stage=dpo&amp;iteration=1\"", page);
        Assert.Contains($"data-run=\"{id}\"", await admin.GetStringAsync("/runs"));
    }

    [Fact]
    public async Task Lineage_edges_are_the_artifact_inputs_of_the_runs_artifacts()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var result = await engine.RunAsync(engine.Start(RunFixtures.RepoFile("workflows", "labeling-roundtrip.json"), new Dictionary<string, string>()));
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        var api = app.Api(app.Token("root", AnnotatorRole.Admin));

        var lineage = await (await api.GetAsync($"/api/runs/{result.InstanceId}/lineage")).Json();
        var nodes = lineage.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("hash").GetString()!).Order().ToList();
        var edges = lineage.GetProperty("edges").EnumerateArray()
            .Select(e => (e.GetProperty("from").GetString()!, e.GetProperty("to").GetString()!, e.GetProperty("input_name").GetString()!)).Order().ToList();

        // Every artifact of this run was made by it (nothing upstream came from another run), so the expected graph is
        // that of the artifacts table and artifact_inputs, read straight from the database.
        var expectedNodes = app.Store.Read(c => c.Query<string>("SELECT hash FROM artifacts WHERE instance_id = @id", new { id = result.InstanceId }).Order().ToList());
        var expectedEdges = app.Store.Read(c => c.Query<(string, string, string)>(
            """
            SELECT i.input_hash, i.artifact_hash, i.input_name FROM artifact_inputs i
            JOIN artifacts a ON a.hash = i.artifact_hash WHERE a.instance_id = @id
            """, new { id = result.InstanceId }).Order().ToList());
        Assert.True(expectedNodes.Count >= 4, $"only {expectedNodes.Count} artifacts");
        Assert.True(expectedEdges.Count >= 3, $"only {expectedEdges.Count} edges");
        Assert.Equal(expectedNodes, nodes);
        Assert.Equal(expectedEdges, edges);

        // The page draws one box per artifact and one curve per edge, and every stage is done.
        var admin = await app.SignedIn(app.Token("boss", AnnotatorRole.Admin));
        var page = await admin.GetStringAsync($"/runs/{result.InstanceId}");
        Assert.Equal(expectedNodes.Count, CountOf(page, "data-artifact=\""));
        Assert.Equal(expectedEdges.Count, CountOf(page, "data-edge-from=\""));
        var detail = await (await api.GetAsync($"/api/runs/{result.InstanceId}")).Json();
        var statuses = detail.GetProperty("run").GetProperty("stages").EnumerateArray().Select(s => s.GetProperty("status").GetString()).ToList();
        Assert.Equal(4, statuses.Count);
        Assert.All(statuses, s => Assert.Equal("done", s));
        Assert.Equal("finished", detail.GetProperty("run").GetProperty("summary").GetProperty("status").GetString());

        // A finished run cannot be resumed (409), nor cancelled.
        await (await api.PostAsync($"/api/runs/{result.InstanceId}/resume", null)).AssertProblem(HttpStatusCode.Conflict, "nothing to resume");
        await (await api.PostAsync($"/api/runs/{result.InstanceId}/cancel", null)).AssertProblem(HttpStatusCode.Conflict, "already finished");
    }

    private static int CountOf(string text, string part)
    {
        int count = 0;
        for (int at = text.IndexOf(part, StringComparison.Ordinal); at >= 0; at = text.IndexOf(part, at + part.Length, StringComparison.Ordinal)) count++;
        return count;
    }
}

// A run waiting on human judgments: its stage links to the labeling project with live progress; resume (in the server)
// checks again and suspends again; cancel ends it at once, since no process holds it.
public class RunsActionsTests
{
    [Fact]
    public async Task A_suspended_run_links_its_project_resumes_in_the_server_and_cancels()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var first = await engine.RunAsync(engine.Start(RunFixtures.RepoFile("workflows", "labeling-roundtrip.json"), new Dictionary<string, string> { ["judge"] = "human" }));
        Assert.Equal(InstanceStatus.Suspended, first.Status);
        var id = first.InstanceId;
        var projectName = (string)Assert.Single(engine.Repository.Bookmarks(id)).Payload["project"]!;
        var project = app.Service<Alignment.Data.Projects.ProjectService>().GetByName(projectName);
        long comparisons = app.Count("SELECT COUNT(*) FROM comparisons WHERE project_id = @id", new { id = project.Id });

        // One judgment through the labeling API shows up as progress: judged 1 of comparisons × k.
        var annotator = app.Api(app.Token("alice"));
        var item = await (await annotator.GetAsync($"/api/projects/{project.Id}/next")).Json();
        var judged = await annotator.PostJson($"/api/assignments/{item.GetProperty("assignment_id").GetInt64()}/judgment", new { choice = "left", strength = -1 });
        Assert.Equal(HttpStatusCode.Created, judged.StatusCode);

        var api = app.Api(app.Token("root", AnnotatorRole.Admin));
        var detail = await (await api.GetAsync($"/api/runs/{id}")).Json();
        var waiting = detail.GetProperty("run").GetProperty("stages").EnumerateArray().Single(s => s.GetProperty("status").GetString() == "suspended").GetProperty("waiting");
        Assert.Equal(project.Id, waiting.GetProperty("project_id").GetInt64());
        Assert.Equal(1, waiting.GetProperty("judged").GetInt64());
        Assert.Equal(comparisons * project.OverlapK, waiting.GetProperty("needed").GetInt64());
        var admin = await app.SignedIn(app.Token("boss", AnnotatorRole.Admin));
        Assert.Contains($"href=\"/admin/projects/{project.Id}\"", await admin.GetStringAsync($"/runs/{id}"));

        // Resume runs in the server's background and, with judgments still missing, suspends again.
        var resumed = await api.PostAsync($"/api/runs/{id}/resume", null);
        Assert.Equal(HttpStatusCode.Accepted, resumed.StatusCode);
        var launcher = app.Service<Alignment.LabelingUi.Features.Runs.RunLauncher>();
        await launcher.Running(id)!.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.StartsWith("suspended: waiting for judgments", launcher.LastOutcome(id));
        Assert.Equal(InstanceStatus.Suspended, engine.Repository.Get(id).Status);

        // The page's cancel form (antiforgery token required) cancels at once.
        var page = await admin.GetStringAsync($"/runs/{id}");
        var noToken = await admin.PostAsync($"/ui/admin/runs/{id}/cancel", new FormUrlEncodedContent(new Dictionary<string, string>()));
        Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
        Assert.Equal(InstanceStatus.Suspended, engine.Repository.Get(id).Status);
        var cancel = await admin.PostAsync($"/ui/admin/runs/{id}/cancel", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = Http.AntiforgeryToken(page),
        }));
        Assert.Equal(HttpStatusCode.Redirect, cancel.StatusCode);
        Assert.Equal(InstanceStatus.Cancelled, engine.Repository.Get(id).Status);
        await (await api.PostAsync($"/api/runs/{id}/resume", null)).AssertProblem(HttpStatusCode.Conflict, "cancelled");
    }
}
