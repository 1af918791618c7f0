using System.Net;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Pages;

// Membership in the pages over HTTP: the home page lists only the annotator's projects and the labeling page refuses
// others, following the members the store holds. The admin's project page adds and removes them over its circuit
// (Components/ProjectAdminPageTests).
public class MembershipPageTests
{
    [Fact]
    public async Task An_annotator_sees_and_labels_only_member_projects()
    {
        using var app = new LabelingFactory();
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

        app.Service<ProjectMembers>().Add(open.Id, annId);
        home = await ann.GetStringAsync("/");
        Assert.Contains("open-project", home);
        Assert.DoesNotContain("closed-project", home);
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync($"/label/{open.Id}")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await ann.GetAsync($"/label/{closed.Id}")).StatusCode);

        app.Service<ProjectMembers>().Remove(open.Id, annId);
        Assert.Equal(HttpStatusCode.Forbidden, (await ann.GetAsync($"/label/{open.Id}")).StatusCode);
    }
}
