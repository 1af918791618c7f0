using Alignment.Data.Annotators;
using Alignment.LabelingUi.Features.Annotators;
using Bunit;

namespace Alignment.LabelingUi.Tests.Components;

// The annotators page (interactive): the grid, the validated add form, and confirmations before disabling or re-keying.
public class AnnotatorsPageTests
{
    [Fact]
    public async Task Creating_through_the_form_shows_the_token_once_and_it_works()
    {
        await using var h = new ComponentHarness();
        var page = h.Render<AnnotatorsPage>();

        await page.Find("[data-create-annotator] input").ChangeAsync("jo");
        await page.Find("form[data-create-annotator]").SubmitAsync();

        var token = page.Find("[data-token]").TextContent.Trim();
        Assert.StartsWith("aln_", token);
        Assert.Equal("jo", h.App.Service<AnnotatorService>().Authenticate(token)?.Name);
        Assert.Contains("jo was added", h.Snackbars.Markup);
        Assert.Equal(["jo", "root"], page.FindAll("[data-annotator-name]").Select(e => e.TextContent).Order());
        Assert.DoesNotContain(token, h.Render<AnnotatorsPage>().Markup);   // a fresh page does not show it again
    }

    [Fact]
    public async Task A_blank_name_is_refused_at_the_field_and_creates_nothing()
    {
        await using var h = new ComponentHarness();
        var page = h.Render<AnnotatorsPage>();

        await page.Find("[data-create-annotator] input").ChangeAsync("   ");
        await page.Find("form[data-create-annotator]").SubmitAsync();

        Assert.Contains("Name is required.", page.Markup);
        Assert.Empty(page.FindAll("[data-token]"));
        Assert.Single(h.App.Service<AnnotatorService>().List());
    }

    [Fact]
    public async Task Disabling_asks_first_and_cancel_leaves_the_account_active()
    {
        await using var h = new ComponentHarness();
        var token = h.App.Token("al");
        var page = h.Render<AnnotatorsPage>();
        Assert.Empty(page.FindAll("[data-toggle='root']"));   // an admin cannot disable themself

        // The click's handler waits for the dialog's answer, so the click completes only after the dialog's button.
        var clicking = page.Find("[data-toggle='al']").ClickAsync();
        h.Dialogs.WaitForElement("[data-cancel]");
        Assert.Contains("Disable al?", h.Dialogs.Markup);
        await h.Dialogs.Find("[data-cancel]").ClickAsync();
        await clicking;
        Assert.NotNull(h.App.Service<AnnotatorService>().Authenticate(token));
        Assert.Equal("Disable", page.Find("[data-toggle='al']").TextContent.Trim());

        clicking = page.Find("[data-toggle='al']").ClickAsync();
        h.Dialogs.WaitForElement("[data-confirm]");
        await h.Dialogs.Find("[data-confirm]").ClickAsync();
        await clicking;
        page.WaitForAssertion(() => Assert.Equal("Enable", page.Find("[data-toggle='al']").TextContent.Trim()));
        Assert.Null(h.App.Service<AnnotatorService>().Authenticate(token));
        Assert.Contains("al is disabled.", h.Snackbars.Markup);
    }

    [Fact]
    public async Task A_confirmed_new_token_replaces_the_old_one()
    {
        await using var h = new ComponentHarness();
        var old = h.App.Token("al");
        var page = h.Render<AnnotatorsPage>();

        var clicking = page.Find("[data-rotate='al']").ClickAsync();   // completes after the dialog's answer
        h.Dialogs.WaitForElement("[data-confirm]");
        await h.Dialogs.Find("[data-confirm]").ClickAsync();
        await clicking;

        page.WaitForElement("[data-token]");
        var fresh = page.Find("[data-token]").TextContent.Trim();
        Assert.Null(h.App.Service<AnnotatorService>().Authenticate(old));
        Assert.Equal("al", h.App.Service<AnnotatorService>().Authenticate(fresh)?.Name);
    }

    [Fact]
    public async Task The_grid_sorts_by_name_and_the_search_filters_rows()
    {
        await using var h = new ComponentHarness();
        foreach (var name in new[] { "mia", "al", "zed" })
            h.App.Token(name);
        var page = h.Render<AnnotatorsPage>();
        string[] Names() => page.FindAll("[data-annotator-name]").Select(e => e.TextContent).ToArray();

        var header = page.FindAll("th").First(th => th.TextContent.Contains("Name")).QuerySelector(".sortable-column-header")!;
        await header.ClickAsync();
        Assert.Equal(["al", "mia", "root", "zed"], Names());
        await page.FindAll("th").First(th => th.TextContent.Contains("Name")).QuerySelector(".sortable-column-header")!.ClickAsync();
        Assert.Equal(["zed", "root", "mia", "al"], Names());

        await page.Find("input[data-search]").InputAsync("M");
        Assert.Equal(["mia"], Names());
    }
}
