using System.Net;
using System.Text.Json;
using Alignment.Data.Model;
using Alignment.Data.Reports;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// Agreement, leaderboard, disagreements and adjudication through the admin API.
public class ReportsApiTests
{
    /// <summary>Two annotators, k = 2, four pairs: both prefer A, except that bo prefers B on item 3.</summary>
    private static async Task<(LabelingFactory App, long ProjectId, HttpClient Admin)> Judged()
    {
        var app = new LabelingFactory();
        var project = app.Project(overlap: 2, pairs: 4);
        await Judge.All(app.Api(app.Token("al")), project.Id, _ => "A");
        await Judge.All(app.Api(app.Token("bo")), project.Id, p => Judge.Number(p) == 3 ? "B" : "A");
        return (app, project.Id, app.Api(app.Token("root", AnnotatorRole.Admin)));
    }

    [Fact]
    public async Task Agreement_reports_the_pair_and_matches_the_store()
    {
        var (app, projectId, admin) = await Judged();
        using var _ = app;

        var report = await (await admin.GetAsync($"/api/projects/{projectId}/agreement")).Json();

        var pair = report.GetProperty("pairs").EnumerateArray().Single();
        Assert.Equal(("al", "bo"), (pair.GetProperty("annotator_a").GetString(), pair.GetProperty("annotator_b").GetString()));
        Assert.Equal(4, pair.GetProperty("items").GetInt32());
        Assert.Equal(0.75, pair.GetProperty("agreement").GetDouble(), 9);
        var expected = app.Service<AgreementService>().Compute(projectId);
        Assert.Equal(expected.FleissItems, report.GetProperty("fleiss_items").GetInt32());
        Assert.Equal(expected.AlphaItems, report.GetProperty("alpha_items").GetInt32());
        Assert.Equal(expected.FleissKappa, report.GetProperty("fleiss_kappa").ValueKind == JsonValueKind.Null ? null : report.GetProperty("fleiss_kappa").GetDouble());
    }

    [Fact]
    public async Task Leaderboard_ranks_the_model_that_won_seven_of_eight_first()
    {
        var (app, projectId, admin) = await Judged();
        using var _ = app;

        var board = (await (await admin.GetAsync($"/api/projects/{projectId}/leaderboard?resamples=200&seed=3")).Json()).EnumerateArray().ToList();

        Assert.Equal([LabelingFactory.ModelA, LabelingFactory.ModelB], board.Select(e => e.GetProperty("model").GetString()));
        Assert.Equal(7, board[0].GetProperty("wins").GetInt32());
        Assert.Equal(1, board[0].GetProperty("losses").GetInt32());
        Assert.True(board[0].GetProperty("rating").GetDouble() > board[1].GetProperty("rating").GetDouble());
        await (await admin.GetAsync($"/api/projects/{projectId}/leaderboard?resamples=1")).AssertProblem(HttpStatusCode.BadRequest, "resamples");
    }

    [Fact]
    public async Task An_admin_judgment_settles_a_disagreement_and_wins_in_the_export()
    {
        var (app, projectId, admin) = await Judged();
        using var _ = app;

        var open = (await (await admin.GetAsync($"/api/projects/{projectId}/disagreements")).Json()).EnumerateArray().Single();
        Assert.Equal(LabelingFactory.ModelA, open.GetProperty("model_a").GetString());
        var comparison = open.GetProperty("comparison_id").GetInt64();

        var settled = await admin.PostJson($"/api/comparisons/{comparison}/adjudication", new { outcome = "B", strength = 2, note = "B is honest" });
        Assert.Equal(HttpStatusCode.Created, settled.StatusCode);

        Assert.Empty((await (await admin.GetAsync($"/api/projects/{projectId}/disagreements")).Json()).EnumerateArray());
        var rows = (await (await admin.GetAsync($"/api/projects/{projectId}/export?format=trl")).Content.ReadAsStringAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var row3 = rows.Single(r => r.GetProperty("prompt").GetString()!.StartsWith("Prompt 3:"));
        Assert.Equal("Answer B 3: no idea.", row3.GetProperty("chosen").GetString());
        Assert.Equal(2.0 / 3, row3.GetProperty("margin").GetDouble(), 5);
    }

    [Theory]
    [InlineData("""{"outcome":"C"}""", "outcome 'C'")]
    [InlineData("""{"strength":1}""", "outcome is required")]
    [InlineData("""{"outcome":"A","strength":2}""", "does not fit")]
    public async Task A_bad_adjudication_is_400_and_stores_nothing(string json, string expected)
    {
        var (app, projectId, admin) = await Judged();
        using var _ = app;
        var comparison = (await (await admin.GetAsync($"/api/projects/{projectId}/disagreements")).Json()).EnumerateArray().Single().GetProperty("comparison_id").GetInt64();

        var response = await admin.PostAsync($"/api/comparisons/{comparison}/adjudication", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        await response.AssertProblem(HttpStatusCode.BadRequest, expected);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM adjudications"));
        await (await admin.PostJson("/api/comparisons/999/adjudication", new { outcome = "A" })).AssertProblem(HttpStatusCode.NotFound, "comparison 999");
    }

    [Fact]
    public async Task Activity_counts_each_annotators_judgments()
    {
        var (app, projectId, admin) = await Judged();
        using var _ = app;

        var rows = (await (await admin.GetAsync($"/api/projects/{projectId}/activity")).Json()).EnumerateArray().ToList();

        Assert.Equal(["al", "bo"], rows.Select(r => r.GetProperty("annotator").GetString()).Order());
        Assert.All(rows, r => Assert.Equal(4, r.GetProperty("judgments").GetInt64()));
    }
}
