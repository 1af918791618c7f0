using System.Net;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Runs;

// The run page is static; only an active run's stages table is an interactive island (it re-reads itself over the
// circuit), and no page of the runs dashboard uses htmx any more. LiveCurvesBrowserTests watches the island in Chromium.
public sealed class LiveStagesTests
{
    [Fact]
    public async Task An_active_runs_stages_table_is_an_interactive_island_without_htmx()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var (id, _) = RunFixtures.RunningDpoStage(engine, totalSteps: 4);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        string html = await admin.GetStringAsync($"/runs/{id}");
        Assert.Contains("<!--Blazor:", html);                     // the server component's marker
        Assert.Contains("data-polling=\"true\"", html);
        Assert.DoesNotContain("hx-", html);
        Assert.DoesNotContain("htmx", html);
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/ui/admin/runs/{id}/stages")).StatusCode);   // the old fragment
    }

    [Fact]
    public async Task A_finished_runs_page_is_static_with_nothing_polling()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var id = RunFixtures.FinishedRun(engine);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        string html = await admin.GetStringAsync($"/runs/{id}");
        Assert.Contains("data-stages-table", html);
        Assert.Contains("data-polling=\"false\"", html);
        Assert.DoesNotContain("<!--Blazor:", html);
        Assert.DoesNotContain("htmx", html);
        Assert.DoesNotContain("<th>Worker</th>", html);   // no process recorded: no empty column
    }
}
