using Alignment.LabelingUi.Features.Projects;
using Bunit;

namespace Alignment.LabelingUi.Tests.Components;

// The projects list (interactive): the grid and the validated new-project form.
public class AdminPageTests
{
    [Fact]
    public async Task Creating_a_project_leads_to_its_page_and_a_duplicate_name_is_refused()
    {
        await using var h = new ComponentHarness();
        var page = h.Render<AdminPage>();

        var inputs = page.FindAll("[data-create-project] input, [data-create-project] textarea");
        await inputs[0].ChangeAsync("honesty");
        await inputs[1].ChangeAsync("3");
        await inputs[2].ChangeAsync("Be *honest*.");
        await page.Find("form[data-create-project]").SubmitAsync();

        var id = h.App.Count("SELECT id FROM projects WHERE name = 'honesty'");
        Assert.Equal(3, h.App.Count("SELECT overlap_k FROM projects WHERE name = 'honesty'"));
        Assert.EndsWith($"/admin/projects/{id}?created=1", h.Uri);

        var again = h.Render<AdminPage>();
        Assert.Single(again.FindAll("[data-project='honesty']"));
        await again.Find("[data-create-project] input").ChangeAsync("honesty");
        await again.Find("form[data-create-project]").SubmitAsync();
        Assert.Contains("already exists", again.Find("[role=alert]").TextContent);
        Assert.Equal(1, h.App.Count("SELECT COUNT(1) FROM projects"));
    }

    [Fact]
    public async Task An_overlap_out_of_range_is_refused_at_the_field_and_creates_nothing()
    {
        await using var h = new ComponentHarness();
        var page = h.Render<AdminPage>();

        var inputs = page.FindAll("[data-create-project] input");
        await inputs[0].ChangeAsync("honesty");
        await inputs[1].ChangeAsync("0");
        await page.Find("form[data-create-project]").SubmitAsync();

        Assert.Contains("Overlap k is between 1 and 100.", page.Markup);
        Assert.Equal(0, h.App.Count("SELECT COUNT(1) FROM projects"));
    }
}
