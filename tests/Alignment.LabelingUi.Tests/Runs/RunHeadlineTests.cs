using System.Net;
using System.Text.Json.Nodes;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Runs;

// The run page leads with what the run achieved: each evaluation's win rate with its interval, wins/ties/losses and its
// regressions, above the stages table, read from the report's report.json.
public sealed class RunHeadlineTests
{
    [Fact]
    public async Task The_run_page_opens_on_the_win_rate_its_interval_and_the_regressions_before_the_stages()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        // Right sum on 6 prompts: baseline hits 5, policy 1 → a regression (its line is worked out in RegressionPagesTests).
        var regression = MetricChange.Paired("right sum", "rule", Better.Higher, "rate", [0, 0, 0, 1, 0, 0], [1, 1, 1, 1, 1, 0]);
        var report = RunFixtures.ReportArtifact(engine, new JsonObject
        {
            ["win_rate"] = 0.8631, ["win_rate_low"] = 0.775, ["win_rate_high"] = 0.925, ["wins"] = 66, ["ties"] = 6, ["losses"] = 8, ["prompts"] = 80,
            ["changes"] = new JsonArray(regression.ToJson()),
        });
        var id = RunFixtures.FinishedEvaluateStage(engine, report.Hash);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        string html = WebUtility.HtmlDecode(await admin.GetStringAsync($"/runs/{id}"));
        int headline = html.IndexOf("data-headline-report=\"evaluate\"", StringComparison.Ordinal);
        Assert.True(headline >= 0, "the run page has no headline for the evaluate stage");
        Assert.True(headline < html.IndexOf("data-stages-table", StringComparison.Ordinal), "the headline comes after the stages table");
        string card = html[headline..html.IndexOf("</article>", headline, StringComparison.Ordinal)];
        // 0.8631 → 86.3% (one decimal), interval 77.5% – 92.5%.
        Assert.Contains(">86.3%<", card);
        Assert.Contains("95% interval 77.5% – 92.5%", card);
        Assert.Contains("66 wins · 6 ties · 8 losses", card);
        Assert.Contains("REGRESSION right sum 83.3% → 16.7%", card);
        Assert.Contains($"/runs/{id}/reports/{report.Hash}", card);
    }

    [Fact]
    public async Task A_policy_trained_from_another_shows_its_regressions_against_that_start_model_too()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        // Against the baseline nothing got worse (house style 0 of 6 → 6 of 6); against the start model house style fell
        // from 6 of 6 to 1 of 6: 100.0% → 16.7%, a regression.
        var better = MetricChange.Paired("house style", "rule", Better.Higher, "rate", [1, 1, 1, 1, 1, 1], [0, 0, 0, 0, 0, 0]);
        var worse = MetricChange.Paired("house style", "rule", Better.Higher, "rate", [1, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1]);
        var report = RunFixtures.ReportArtifact(engine, new JsonObject
        {
            ["win_rate"] = 0.765, ["win_rate_low"] = 0.702, ["win_rate_high"] = 0.818, ["wins"] = 136, ["ties"] = 34, ["losses"] = 30, ["prompts"] = 200,
            ["changes"] = new JsonArray(better.ToJson()),
            ["start"] = new JsonObject
            {
                ["model"] = "dpo.model", ["win_rate"] = 0.395, ["win_rate_low"] = 0.330, ["win_rate_high"] = 0.464,
                ["changes"] = new JsonArray(worse.ToJson()),
            },
        });
        var id = RunFixtures.FinishedEvaluateStage(engine, report.Hash);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        string html = WebUtility.HtmlDecode(await admin.GetStringAsync($"/runs/{id}"));
        int headline = html.IndexOf("data-headline-report=\"evaluate\"", StringComparison.Ordinal);
        string card = html[headline..html.IndexOf("</article>", headline, StringComparison.Ordinal)];
        Assert.Contains("No regressions among 1 rules and metrics.", card);
        Assert.Contains("Against the start model dpo.model", card);
        Assert.Contains("win rate 39.5% (95% interval 33.0% – 46.4%)", card);
        Assert.Contains("REGRESSION house style 100.0% → 16.7%", card);
        Assert.DoesNotContain("data-start-no-regressions", card);
    }

    [Fact]
    public async Task The_headline_rounds_the_win_rate_as_the_report_and_the_demo_summary_do()
    {
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        // 171 wins, 15 ties, 14 losses: (171 + 15 / 2) / 200 = 0.8925, which a double holds as 0.89249999…; the report's
        // markdown and `align demo` print 89.2% (the page printed 89.3%).
        var report = RunFixtures.ReportArtifact(engine, new JsonObject
        {
            ["win_rate"] = (171 + 15 / 2.0) / 200, ["win_rate_low"] = 0.842, ["win_rate_high"] = 0.928, ["wins"] = 171, ["ties"] = 15, ["losses"] = 14,
            ["prompts"] = 200, ["changes"] = new JsonArray(),
        });
        var id = RunFixtures.FinishedEvaluateStage(engine, report.Hash);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        string html = WebUtility.HtmlDecode(await admin.GetStringAsync($"/runs/{id}"));
        Assert.Contains(">89.2%<", html);
        Assert.DoesNotContain("89.3%", html);
    }
}
