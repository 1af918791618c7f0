using System.Net;
using System.Text.Json.Nodes;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Runs;

// A regression planted in an evaluation report is listed on the run page and on the report page, with its interval, next
// to the headline it would otherwise hide behind.
public sealed class RegressionPagesTests
{
    [Fact]
    public async Task The_run_page_and_the_report_page_list_a_planted_regression()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        // Right sum on 6 prompts: baseline hits 5, policy 1 (4 prompts lost, none gained) → a regression; house style improves.
        var regression = MetricChange.Paired("right sum", "rule", Better.Higher, "rate", [0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 0]);
        var improvement = MetricChange.Paired("house style", "rule", Better.Higher, "rate", [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 1]);
        Assert.Equal(ChangeVerdict.Regression, regression.Verdict);
        var report = RunFixtures.ReportArtifact(engine, new JsonObject
        {
            ["win_rate"] = 0.9, ["win_rate_low"] = 0.6, ["win_rate_high"] = 0.98, ["wins"] = 5, ["ties"] = 1, ["losses"] = 0,
            ["changes"] = new JsonArray(regression.ToJson(), improvement.ToJson()),
        }, "# Evaluation report\n");
        var id = RunFixtures.FinishedEvaluateStage(engine, report.Hash);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        // The line by hand: 83.3% → 16.7%, change −66.7 points; d = (−1, −1, −1, 0, −1, 0): s_d = √((4·(1/9) + 2·(4/9)) / 5)
        // = 0.5163978, se = 0.2108185, t(0.975, 5) = 2.5705818 → half width 0.5419262 → −120.9 to −12.5 points; a rate of
        // 83.3% can fall by at most 83.3 points, so the low end is clipped there.
        const string line = "REGRESSION right sum 83.3% → 16.7% (−66.7 points, 95% CI −83.3 to −12.5)";
        string runPage = WebUtility.HtmlDecode(await admin.GetStringAsync($"/runs/{id}"));
        Assert.Contains(line, runPage);
        Assert.DoesNotContain("REGRESSION house style", runPage);
        string reportPage = WebUtility.HtmlDecode(await admin.GetStringAsync($"/runs/{id}/reports/{report.Hash}"));
        Assert.Contains(line, reportPage);
    }
}
