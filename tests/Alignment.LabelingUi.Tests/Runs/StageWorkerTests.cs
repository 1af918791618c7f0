using System.Net;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Runs;

// The stages table names the process that ran each stage (host:pid, the start time left off), so a team with several
// `align worker` processes sees which machine ran what; runs recorded without one get no empty column (LiveStagesTests).
public sealed class StageWorkerTests
{
    [Fact]
    public async Task A_stage_run_by_a_worker_shows_its_host_and_pid()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var id = RunFixtures.FinishedRun(engine, worker: "gpu-box-2:4242:638700000000000000");
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        string html = WebUtility.HtmlDecode(await admin.GetStringAsync($"/runs/{id}"));
        string table = html[html.IndexOf("data-stages-table", StringComparison.Ordinal)..];
        Assert.Contains("<th>Worker</th>", table);
        Assert.Contains("data-worker=\"gpu-box-2:4242\"", table);
        Assert.Contains(">gpu-box-2:4242<", table);
        Assert.DoesNotContain("638700000000000000", table);
    }
}
