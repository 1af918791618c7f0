using System.Globalization;
using System.Text.Json.Nodes;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Runs;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Queries;
using Dapper;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Alignment.LabelingUi.Tests.EndToEnd;

// A real workflow (sft-dpo.json on a tiny random Llama, a few steps) runs in the server's home; an admin follows it in
// Chromium: the runs list, the run's stages, its training curves, the lineage graph, an artifact and the report.
[Trait("Category", "EndToEnd")]
public class RunsBrowserTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_finished_sft_dpo_run_shows_stages_curves_lineage_and_its_report()
    {
        await using var session = await BrowserSession.Start();
        var engine = session.Service<WorkflowEngine>();
        var model = RunFixtures.TinyChatModel(Path.Combine(session.Home, "base"));
        // The run goes through an engine whose observer reads the curves while the trainers train, as the dashboard does.
        var probe = new LiveMetricsProbe();
        var running = new WorkflowEngine(session.Home, ActivityRegistry.CreateDefault(), new WorkflowEngineOptions { Observer = probe });
        probe.Queries = new RunQueries(running);
        var result = await running.RunAsync(running.Start(RunFixtures.RepoFile("workflows", "sft-dpo.json"), new Dictionary<string, string> { ["model"] = model }));
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        foreach (var (stage, steps) in new[] { ("sft", 4), ("dpo", 2) })
        {
            var seen = probe.Seen.Where(s => s.Stage == stage).ToList();
            Assert.Equal(steps, seen.Count);   // one progress event per optimizer step
            Assert.All(seen, s => Assert.True(s.Running && s.TotalSteps == steps, $"{stage}: {s}"));
            Assert.Equal(seen.Select(s => s.Rows).Order(), seen.Select(s => s.Rows));   // the curve only grows
            Assert.True(seen[^1].Rows >= steps - 1, $"{stage}: only {seen[^1].Rows} rows were readable at its last step");
        }
        var id = result.InstanceId;
        var executions = engine.Repository.Executions(id);
        var admin = session.Service<AnnotatorService>().Create("admin", AnnotatorRole.Admin);
        var (context, page, errors) = await session.SignIn(admin.Token);
        var shots = BrowserSession.ScreenshotFolder();

        // The list: this run, finished, all activities done.
        await page.GotoAsync($"{session.Url}/runs");
        var row = page.Locator($"tr:has([data-run='{id}'])");
        Assert.Equal("finished", await row.Locator("[data-status]").GetAttributeAsync("data-status"));
        Assert.Contains("11 / 11", await row.InnerTextAsync());
        Assert.Equal("false", await page.Locator("[data-runs-table]").GetAttributeAsync("data-polling"));
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "runs.png"), FullPage = true });

        // The run: every stage done, one row per execution.
        await row.Locator("a").First.ClickAsync();
        await page.WaitForURLAsync($"{session.Url}/runs/{id}");
        var stages = page.Locator("tr[data-stage]");
        // The list is interactive and the run page static: Blazor changes the URL first and then loads the page, so the
        // stages table is waited for rather than read as soon as the URL changes.
        await stages.First.WaitForAsync();
        Assert.Equal(executions.Count, await stages.CountAsync());
        foreach (var status in await stages.EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.status)"))
            Assert.Equal("done", status);

        // Curves: one panel per trainer stage; the loss chart of each holds one point per logged metrics row.
        foreach (var stage in new[] { "sft", "dpo" })
        {
            var metricsHash = (string)executions.Single(e => e.ActivityId == stage).Outputs!["metrics"]!;
            int rows = File.ReadAllLines(engine.Artifacts.Get(metricsHash).Path).Count(l => l.Length > 0);
            var losses = File.ReadAllLines(engine.Artifacts.Get(metricsHash).Path).Where(l => l.Length > 0)
                .Select(l => (double)JsonNode.Parse(l)!["loss"]!).ToArray();
            string canvas = $"[data-curve-stage='{stage}'] canvas[data-metric-group='loss']";
            await page.WaitForFunctionAsync($"() => document.querySelector(\"{canvas}\")?.dataset.points === '{rows}'");
            var points = await page.EvaluateAsync<double[]>($"() => Chart.getChart(document.querySelector(\"{canvas}\")).data.datasets.find(d => d.label === 'loss').data.map(p => p.y)");
            Assert.Equal(losses, points);
            Assert.Equal("false", await page.Locator($"[data-curve-stage='{stage}']").GetAttributeAsync("data-polling"));
        }
        Assert.True(await page.Locator("[data-curve-stage='dpo'] canvas[data-metric-group='rewards/*']").CountAsync() == 1, "no rewards/* chart for dpo");
        Assert.True(await page.Locator("[data-curve-stage='sft'] canvas[data-metric-group='learning_rate']").CountAsync() == 1, "no learning_rate chart for sft");

        // Lineage: a box per artifact of the run, a curve per artifact_inputs edge.
        int artifacts = session.Store.Read(c => c.ExecuteScalar<int>("SELECT COUNT(*) FROM artifacts WHERE instance_id = @id", new { id }));
        int edges = session.Store.Read(c => c.ExecuteScalar<int>(
            "SELECT COUNT(*) FROM artifact_inputs i JOIN artifacts a ON a.hash = i.artifact_hash WHERE a.instance_id = @id", new { id }));
        Assert.Equal(artifacts, await page.Locator("svg[data-lineage] a[data-artifact]").CountAsync());
        Assert.Equal(edges, await page.Locator("svg[data-lineage] path[data-edge-from]").CountAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "run-detail.png"), FullPage = true });

        // A lineage box opens the artifact's details.
        var policy = (string)executions.Single(e => e.ActivityId == "dpo").Outputs!["model"]!;
        await page.Locator($"svg[data-lineage] a[data-artifact='{policy}']").ClickAsync();
        await page.WaitForURLAsync($"{session.Url}/runs/artifacts/{policy}");
        Assert.Equal("model", await page.Locator("[data-field='kind']").InnerTextAsync());
        Assert.Equal(policy, await page.Locator("[data-field='hash']").InnerTextAsync());
        Assert.True(await page.Locator("[data-artifact-inputs] tr").CountAsync() >= 2);

        // The report: rendered markdown and the headline numbers of report.json.
        var reportHash = (string)executions.Single(e => e.ActivityId == "evaluate").Outputs!["report"]!;
        var reportJson = JsonNode.Parse(File.ReadAllText(Path.Combine(engine.Artifacts.Get(reportHash).Path, "report.json")))!;
        await page.GotoAsync($"{session.Url}/runs/{id}");
        await page.Locator("[data-report-link]").ClickAsync();
        await page.WaitForURLAsync($"{session.Url}/runs/{id}/reports/{reportHash}");
        await page.WaitForSelectorAsync("[data-report-markdown][data-rendered='true'] h1");
        Assert.Equal("Evaluation report", await page.Locator("[data-report-markdown] h1").First.InnerTextAsync());
        // The report's charts (charts/*.svg, linked relatively from report.md) load from the artifact's file endpoint.
        var charts = Directory.GetFiles(Path.Combine(engine.Artifacts.Get(reportHash).Path, "charts"), "*.svg").Length;
        Assert.True(charts > 0, "the report has no charts");
        await page.WaitForFunctionAsync("() => [...document.querySelectorAll('[data-report-markdown] img')].every(i => i.complete)");
        var images = await page.EvaluateAsync<string[]>(
            "() => [...document.querySelectorAll('[data-report-markdown] img')].map(i => `${i.getAttribute('src')} ${i.naturalWidth}`)");
        Assert.True(images.Length >= charts, $"{images.Length} images for {charts} charts");
        Assert.All(images, i => Assert.StartsWith($"/ui/admin/artifacts/{reportHash}/files/charts/", i));
        Assert.All(images, i => Assert.False(i.EndsWith(" 0"), $"{i} did not load"));
        double winRate = (double)reportJson["win_rate"]!;
        Assert.Equal(winRate, double.Parse((await page.Locator("[data-win-rate]").GetAttributeAsync("data-win-rate"))!, CultureInfo.InvariantCulture), 6);
        Assert.Contains(winRate.ToString("P0", CultureInfo.InvariantCulture).Replace(" ", ""), await page.Locator("[data-headline]").InnerTextAsync());
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(shots, "report.png"), FullPage = true });

        Assert.Empty(errors);
        output.WriteLine($"screenshots in {shots}");
        await context.CloseAsync();
    }
}

// A stage that is still training: its curves grow in the open page as lines are logged, and polling stops when it ends.
[Trait("Category", "EndToEnd")]
public class LiveCurvesBrowserTests
{
    [Fact]
    public async Task A_running_stages_curves_grow_and_stop_polling_when_it_ends()
    {
        await using var session = await BrowserSession.Start();
        var engine = session.Service<WorkflowEngine>();
        var (id, runDir) = RunFixtures.RunningDpoStage(engine, totalSteps: 4);
        var metrics = Path.Combine(runDir, "metrics.jsonl");
        File.WriteAllText(metrics, RunFixtures.MetricsLine(1) + RunFixtures.MetricsLine(2));
        var admin = session.Service<AnnotatorService>().Create("admin", AnnotatorRole.Admin);
        var (context, page, errors) = await session.SignIn(admin.Token);

        await page.GotoAsync($"{session.Url}/runs/{id}");
        const string loss = "[data-curve-stage='dpo'] canvas[data-metric-group='loss']";
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{loss}\")?.dataset.points === '2'");
        Assert.Equal("true", await page.Locator("[data-curve-stage='dpo']").GetAttributeAsync("data-polling"));
        Assert.Equal("true", await page.Locator("[data-stages-table]").GetAttributeAsync("data-polling"));

        File.AppendAllText(metrics, RunFixtures.MetricsLine(3) + RunFixtures.MetricsLine(4)[..15]);
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{loss}\").dataset.points === '3'");
        File.AppendAllText(metrics, RunFixtures.MetricsLine(4)[15..]);
        await page.WaitForFunctionAsync($"() => document.querySelector(\"{loss}\").dataset.points === '4'");
        var steps = await page.EvaluateAsync<double[]>($"() => Chart.getChart(document.querySelector(\"{loss}\")).data.datasets[0].data.map(p => p.x)");
        Assert.Equal([1.0, 2.0, 3.0, 4.0], steps);   // each row once, in order

        // The stage ends: its metrics artifact is stored and the run finishes; the curves stop polling, so does the table.
        var stored = engine.Artifacts.NewTempPath();
        File.Copy(metrics, stored);
        var artifact = engine.Artifacts.Ingest(stored, Alignment.Workflows.Artifacts.ArtifactKind.Report,
            new Alignment.Workflows.Artifacts.ArtifactProvenance(null, "metrics", new(), []));
        var execution = engine.Repository.Executions(id).Single().Id;
        engine.Db.Write((c, t) =>
        {
            engine.Repository.FinishExecution(c, t, execution, ExecutionStatus.Completed, null, null, new JsonObject { ["metrics"] = artifact.Hash }, 1, null, "done\n");
            engine.Repository.SetStatus(c, t, id, InstanceStatus.Finished, null, null);
        });
        Directory.Delete(runDir, recursive: true);
        await page.WaitForFunctionAsync("() => document.querySelector(\"[data-curve-stage='dpo']\").dataset.polling === 'false'");
        await page.WaitForFunctionAsync("() => document.querySelector('[data-stages-table]').dataset.polling === 'false'");
        Assert.Equal("done", await page.Locator("tr[data-stage='dpo']").GetAttributeAsync("data-status"));
        Assert.Equal("4", await page.Locator(loss).GetAttributeAsync("data-points"));
        Assert.Empty(errors);
        await context.CloseAsync();
    }
}

/// <summary>Reads a training stage's curves from its run folder at every progress event.</summary>
internal sealed class LiveMetricsProbe : IWorkflowObserver
{
    public RunQueries? Queries { get; set; }
    public List<(string Stage, bool Running, int? TotalSteps, int Rows)> Seen { get; } = [];

    public void OnEvent(WorkflowEvent e)
    {
        if (e.Kind != WorkflowEventKind.Progress || e.ActivityId is not ("sft" or "dpo")) return;
        var metrics = Queries!.Metrics(e.InstanceId, e.ActivityId, null, 0);
        Seen.Add((e.ActivityId, metrics.Running, metrics.TotalSteps, metrics.Next));
    }
}

// The report page maps report.md's relative images and links to the artifact's file endpoint, and sanitizes it.
[Trait("Category", "EndToEnd")]
public class ReportPageBrowserTests
{
    [Fact]
    public async Task Relative_images_and_links_of_report_md_load_from_the_artifact()
    {
        await using var session = await BrowserSession.Start();
        var engine = session.Service<WorkflowEngine>();
        var temp = engine.Artifacts.NewTempPath();
        Directory.CreateDirectory(Path.Combine(temp, "charts"));
        File.WriteAllText(Path.Combine(temp, "report.md"),
            "# Evaluation report\n\n![win rate](charts/win-rate.svg)\n\n[the numbers](./report.json) · [escape](../../align.db) · [docs](https://example.org/x)\n\n" +
            "<img src=\"x\" onerror=\"window.__pwned = 1\"><script>window.__pwned = 2</script>\n");
        File.WriteAllText(Path.Combine(temp, "charts", "win-rate.svg"),
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"120\" height=\"40\"><rect width=\"120\" height=\"40\" fill=\"#4f46e5\"/></svg>");
        File.WriteAllText(Path.Combine(temp, "report.json"), "{\"win_rate\": 0.75, \"win_rate_low\": 0.5, \"win_rate_high\": 0.9, \"wins\": 3, \"ties\": 0, \"losses\": 1}\n");
        var report = engine.Artifacts.Ingest(temp, Alignment.Workflows.Artifacts.ArtifactKind.Report,
            new Alignment.Workflows.Artifacts.ArtifactProvenance(null, null, new(), []));
        var id = RunFixtures.FinishedEvaluateStage(engine, report.Hash);
        var admin = session.Service<AnnotatorService>().Create("admin", AnnotatorRole.Admin);
        var (context, page, errors) = await session.SignIn(admin.Token);

        await page.GotoAsync($"{session.Url}/runs/{id}/reports/{report.Hash}");
        await page.WaitForSelectorAsync("[data-report-markdown][data-rendered='true']");
        var files = $"/ui/admin/artifacts/{report.Hash}/files/";
        var image = page.Locator("[data-report-markdown] img[alt='win rate']");
        Assert.Equal(files + "charts/win-rate.svg", await image.GetAttributeAsync("src"));
        await page.WaitForFunctionAsync("() => document.querySelector(\"[data-report-markdown] img[alt='win rate']\").complete");
        Assert.Equal(120, await image.EvaluateAsync<int>("img => img.naturalWidth"));
        Assert.Equal(files + "report.json", await page.Locator("[data-report-markdown] a", new() { HasText = "the numbers" }).GetAttributeAsync("href"));
        Assert.Equal("https://example.org/x", await page.Locator("[data-report-markdown] a", new() { HasText = "docs" }).GetAttributeAsync("href"));
        Assert.Equal(0, await page.Locator("[data-report-markdown] script").CountAsync());
        Assert.Null(await page.EvaluateAsync<int?>("() => window.__pwned ?? null"));
        Assert.Contains("75%", await page.Locator("[data-headline]").InnerTextAsync());

        // The escaping link is mapped like the others, and the server refuses it.
        var escape = await page.Locator("[data-report-markdown] a", new() { HasText = "escape" }).GetAttributeAsync("href");
        Assert.Equal(files + "../../align.db", escape);
        var refused = await page.APIRequest.GetAsync(session.Url + files + "..%2F..%2Falign.db");
        Assert.Equal(400, refused.Status);

        // Allowed console errors: the broken <img src="x"> of the markdown (a 404 from the file endpoint), and the CSP
        // refusing the onerror handler while DOMPurify parses the hostile markup (as on the labeling page).
        var unexpected = errors.Where(e => !(e.Contains("inline event handler") && e.Contains("purify.es.mjs")) && !e.Contains("/files/x")).ToList();
        Assert.True(unexpected.Count == 0, string.Join("\n", unexpected));
        await context.CloseAsync();
    }
}
