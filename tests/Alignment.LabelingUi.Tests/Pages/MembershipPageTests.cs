using System.Net;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Pages;

// Membership in the pages: the home page lists only the annotator's projects, the labeling page refuses others, and
// the admin's project page adds and removes members (forms with antiforgery tokens).
public class MembershipPageTests
{
    [Fact]
    public async Task An_annotator_sees_only_member_projects_and_the_admin_page_adds_and_removes_members()
    {
        using var app = new LabelingFactory();
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));
        var open = app.Project("open-project", pairs: 2, members: false);
        var closed = app.Project("closed-project", pairs: 2, members: false);
        var ann = await app.SignedIn(app.Token("ann", member: false));
        var annId = app.Service<Data.Annotators.AnnotatorService>().Find("ann")!.Id;

        var home = await ann.GetStringAsync("/");
        Assert.DoesNotContain("open-project", home);
        Assert.Contains("not a member of any labeling project", home);
        var refused = await ann.GetAsync($"/label/{open.Id}");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("not a member of this project", await refused.Content.ReadAsStringAsync());
        Assert.DoesNotContain("Prompt 0", await refused.Content.ReadAsStringAsync());

        var page = $"/admin/projects/{open.Id}";
        Assert.Contains("data-no-members", await admin.GetStringAsync(page));
        var added = await Http.PostForm(admin, page, "add-member", new() { ["annotator_id"] = annId.ToString() });
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        Assert.Contains("ann is now a member", await added.Content.ReadAsStringAsync());
        Assert.Contains("data-member=\"ann\"", await admin.GetStringAsync(page));

        home = await ann.GetStringAsync("/");
        Assert.Contains("open-project", home);
        Assert.DoesNotContain("closed-project", home);
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync($"/label/{open.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ann.GetAsync($"/label/{closed.Id}")).StatusCode);

        var removed = await Http.PostForm(admin, page, $"remove-member-{annId}", []);
        Assert.Contains("ann is no longer a member", await removed.Content.ReadAsStringAsync());
        Assert.Empty(app.Service<ProjectMembers>().List(open.Id));
        Assert.Equal(HttpStatusCode.Forbidden, (await ann.GetAsync($"/label/{open.Id}")).StatusCode);
    }

    [Fact]
    public async Task Adding_a_member_without_the_antiforgery_token_is_refused()
    {
        using var app = new LabelingFactory();
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));
        var project = app.Project("p", members: false);
        var annId = app.Service<Data.Annotators.AnnotatorService>().Create("ann", AnnotatorRole.Annotator).Annotator.Id;

        var forged = await admin.PostAsync($"/admin/projects/{project.Id}", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "add-member", ["annotator_id"] = annId.ToString(),
        }));

        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM project_members"));
    }
}
