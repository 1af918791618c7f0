using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Features.Home;
using Alignment.LabelingUi.Tests.Infrastructure;
using Bunit;

namespace Alignment.LabelingUi.Tests.Components;

// The home page (interactive): the signed-in account's projects as a grid that sorts, filters and pages; an annotator
// gets only the projects they are a member of and never a model's name, an admin every project.
public class HomePageTests
{
    [Fact]
    public async Task An_annotator_sees_only_their_projects_and_no_model_an_admin_every_project()
    {
        await using var h = new ComponentHarness();
        var alpha = h.App.Project("alpha", pairs: 2, members: false);
        h.App.Project("beta", pairs: 2, members: false);
        var gamma = h.App.Project("gamma", pairs: 1, members: false);
        h.App.Token("al", member: false);
        var al = h.App.Service<AnnotatorService>().List().Single(a => a.Name == "al");
        h.App.Service<ProjectMembers>().Add(alpha.Id, al.Id);
        h.App.Service<ProjectMembers>().Add(gamma.Id, al.Id);

        h.SignInAs(al);
        var page = h.Render<HomePage>();
        Assert.Equal("Hello, al", page.Find("h1").TextContent);
        Assert.Equal(["alpha", "gamma"], Names(page));
        Assert.Equal($"/label/{alpha.Id}", page.Find("[data-project-row='alpha']").GetAttribute("href"));
        Assert.DoesNotContain(LabelingFactory.ModelA, page.Markup);
        Assert.DoesNotContain(LabelingFactory.ModelB, page.Markup);

        h.SignInAs(h.Admin);
        Assert.Equal(["alpha", "beta", "gamma"], Names(h.Render<HomePage>()));
    }

    [Fact]
    public async Task An_annotator_without_projects_is_told_so()
    {
        await using var h = new ComponentHarness();
        h.App.Project("alpha", pairs: 1, members: false);
        h.App.Token("al", member: false);
        h.SignInAs(h.App.Service<AnnotatorService>().List().Single(a => a.Name == "al"));

        var page = h.Render<HomePage>();

        Assert.Contains("You are not a member of any labeling project yet.", page.Markup);
        Assert.Empty(Names(page));
    }

    [Fact]
    public async Task The_grid_sorts_by_own_judgments_filters_by_name_and_pages()
    {
        await using var h = new ComponentHarness();
        h.App.Project("alpha", pairs: 1);
        h.App.Project("beta", pairs: 3);
        h.App.Project("gamma", pairs: 0);
        var token = h.App.Token("al");
        var api = h.App.Api(token);
        foreach (var project in h.App.Service<ProjectService>().List())
            await Judge.All(api, project.Id, _ => "A");
        h.SignInAs(h.App.Service<AnnotatorService>().List().Single(a => a.Name == "al"));
        var page = h.Render<HomePage>();

        // Judged by you: gamma 0 (it has no comparisons), alpha 1, beta 3.
        Assert.Equal("3", page.Find("[data-project-row='beta']").Closest("tr")!.QuerySelector("[data-mine]")!.TextContent);
        Assert.Single(page.FindAll("[data-empty-project]"));
        await ComponentHarness.SortHeader(page, "Judged by you").ClickAsync();
        Assert.Equal(["gamma", "alpha", "beta"], Names(page));
        await ComponentHarness.SortHeader(page, "Judged by you").ClickAsync();
        Assert.Equal(["beta", "alpha", "gamma"], Names(page));

        await page.Find("input[data-search]").InputAsync("MM");
        Assert.Equal(["gamma"], Names(page));
        await page.Find("input[data-search]").InputAsync("");

        // 25 rows a page: 30 projects put 5 on the second.
        for (var i = 0; i < 27; i++)
            h.App.Project($"p{i:00}", pairs: 0);
        page = h.Render<HomePage>();
        Assert.Equal(25, Names(page).Length);
        await page.Find("button[aria-label='Next page']").ClickAsync();
        Assert.Equal(5, Names(page).Length);
    }

    private static string[] Names(IRenderedComponent<HomePage> page) =>
        page.FindAll("[data-project-row]").Select(e => e.TextContent).ToArray();
}
