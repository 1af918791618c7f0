using Alignment.Data.Projects;
using Alignment.LabelingUi.Features.Reports;
using Alignment.LabelingUi.Tests.Infrastructure;
using AngleSharp.Dom;
using Bunit;

namespace Alignment.LabelingUi.Tests.Components;

// The disagreements page (interactive): contested comparisons as a grid that sorts, filters and pages; a row opens the
// full card (answers with the models behind them, every judgment) with the admin's settling judgment as a validated form.
public class DisagreementsPageTests
{
    [Fact]
    public async Task The_grid_lists_contested_comparisons_sorts_them_and_a_row_opens_the_judgments()
    {
        await using var h = new ComponentHarness();
        var project = await Contested(h, pairs: 3);   // prompts 0 and 1 contested, prompt 2 agreed on
        var page = Render(h, project.Id);

        Assert.Equal("2", page.Find("[data-disagreements]").GetAttribute("data-disagreements"));
        Assert.Equal([1L, 2L], Comparisons(page));
        Assert.All(page.FindAll("tbody td[data-label='Outcomes']"), td => Assert.Equal("A ×1 · B ×1", td.TextContent.Trim()));
        await ComponentHarness.SortHeader(page, "Comparison").ClickAsync();
        await ComponentHarness.SortHeader(page, "Comparison").ClickAsync();
        Assert.Equal([2L, 1L], Comparisons(page));

        // The admin sees the models and every annotator's judgment once the row is open.
        Assert.Empty(page.FindAll("[data-disagreement-card]"));
        await RowOf(page, 1).QuerySelector("button[aria-label='Expand group']")!.ClickAsync();
        var card = page.Find("[data-disagreement-card='1']");
        Assert.Contains(LabelingFactory.ModelA, card.TextContent);
        Assert.Contains(LabelingFactory.ModelB, card.TextContent);
        var votes = card.QuerySelectorAll("[data-votes] tbody tr").Select(r => string.Join(" ", r.QuerySelectorAll("td").Take(2).Select(td => td.TextContent))).Order();
        Assert.Equal(["al A", "bo B"], votes);
    }

    [Fact]
    public async Task Settling_stores_the_judgment_and_the_row_leaves_the_open_list()
    {
        await using var h = new ComponentHarness();
        var project = await Contested(h, pairs: 2);
        var page = Render(h, project.Id);

        await RowOf(page, 2).QuerySelector("button[aria-label='Expand group']")!.ClickAsync();
        var form = page.Find("form[data-adjudicate='2']");
        await form.QuerySelector("input[data-outcome-value='B']")!.ClickAsync();
        await page.Find("form[data-adjudicate='2'] input[data-note]").ChangeAsync("B cites a source");
        await page.Find("form[data-adjudicate='2']").SubmitAsync();

        Assert.Equal(1, h.App.Count("SELECT COUNT(1) FROM adjudications WHERE is_active = 1 AND comparison_id = 2 AND outcome = 'B' AND note = 'B cites a source'"));
        Assert.Contains("Comparison 2 is settled: B", h.Snackbars.Markup);
        Assert.Equal([1L], Comparisons(page));

        // "Show settled ones too" brings it back with its status.
        await page.Find("[data-show-settled] input").ChangeAsync(true);
        Assert.Equal([1L, 2L], Comparisons(page));
        Assert.Equal("settled: B", RowOf(page, 2).QuerySelector("[data-status]")!.TextContent);
    }

    [Fact]
    public async Task A_settling_judgment_without_an_outcome_is_refused_at_the_field_and_stores_nothing()
    {
        await using var h = new ComponentHarness();
        var project = await Contested(h, pairs: 1);
        var page = Render(h, project.Id);

        await RowOf(page, 1).QuerySelector("button[aria-label='Expand group']")!.ClickAsync();
        await page.Find("form[data-adjudicate='1']").SubmitAsync();

        Assert.Contains("Choose an outcome.", page.Find("[data-disagreement-card='1']").TextContent);
        Assert.Equal(0, h.App.Count("SELECT COUNT(1) FROM adjudications"));
        Assert.Equal([1L], Comparisons(page));
    }

    [Fact]
    public async Task Twenty_nine_disagreements_page_25_then_4_and_the_search_narrows_them()
    {
        await using var h = new ComponentHarness();
        var project = await Contested(h, pairs: 30);   // prompt 2 agreed on: 29 contested
        var page = Render(h, project.Id);

        Assert.Equal("29", page.Find("[data-disagreements]").GetAttribute("data-disagreements"));
        Assert.Equal(25, Comparisons(page).Length);
        await page.Find("button[aria-label='Next page']").ClickAsync();
        Assert.Equal(4, Comparisons(page).Length);

        await page.Find("input[data-search]").InputAsync("prompt 1");   // prompts 1 and 10..19
        Assert.Equal(11, Comparisons(page).Length);
    }

    // A project with overlap 2 where al says A everywhere and bo says B on every prompt but the third.
    private static async Task<Project> Contested(ComponentHarness h, int pairs)
    {
        var project = h.App.Project(overlap: 2, pairs: pairs);
        await Judge.All(h.App.Api(h.App.Token("al")), project.Id, _ => "A");
        await Judge.All(h.App.Api(h.App.Token("bo")), project.Id, p => Judge.Number(p) == 2 ? "A" : "B");
        return project;
    }

    private static IRenderedComponent<DisagreementsPage> Render(ComponentHarness h, long projectId) =>
        h.Context.Render<DisagreementsPage>(p => p.Add(x => x.ProjectId, projectId));

    private static long[] Comparisons(IRenderedComponent<DisagreementsPage> page) =>
        page.FindAll("[data-comparison]").Select(e => long.Parse(e.TextContent)).ToArray();

    private static IElement RowOf(IRenderedComponent<DisagreementsPage> page, long comparison) =>
        page.Find($"[data-comparison='{comparison}']").Closest("tr")!;
}
