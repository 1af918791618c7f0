using System.Net;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// Per-project membership: annotators see and label only their projects; admins see all and manage members.
public class MembershipApiTests
{
    [Fact]
    public async Task An_annotator_sees_and_labels_only_projects_they_are_a_member_of()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));
        var mine = app.Project("mine", members: false);
        var theirs = app.Project("theirs", members: false);
        var ann = app.Api(app.Token("ann", member: false));

        Assert.Empty((await (await ann.GetAsync("/api/projects")).Json()).EnumerateArray());
        await (await ann.GetAsync($"/api/projects/{mine.Id}/next")).AssertProblem(HttpStatusCode.Forbidden, "not a member");
        await (await ann.GetAsync($"/api/projects/{mine.Id}")).AssertProblem(HttpStatusCode.Forbidden, "not a member");
        await (await ann.GetAsync($"/api/projects/{mine.Id}/progress")).AssertProblem(HttpStatusCode.Forbidden, "not a member");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM assignments"));

        var added = await admin.PostJson($"/api/projects/{mine.Id}/members", new { annotator = "ann" });
        Assert.Equal(HttpStatusCode.Created, added.StatusCode);
        Assert.Equal("ann", (await added.Json()).GetProperty("name").GetString());
        Assert.Equal(HttpStatusCode.OK, (await admin.PostJson($"/api/projects/{mine.Id}/members", new { annotator = "ann" })).StatusCode);

        var listed = (await (await ann.GetAsync("/api/projects")).Json()).EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["mine"], listed);
        Assert.Equal(HttpStatusCode.OK, (await ann.GetAsync($"/api/projects/{mine.Id}/next")).StatusCode);
        await (await ann.GetAsync($"/api/projects/{theirs.Id}/next")).AssertProblem(HttpStatusCode.Forbidden, "not a member");

        // The admin is in no project and still sees both.
        var all = (await (await admin.GetAsync("/api/projects")).Json()).EnumerateArray().Select(p => p.GetProperty("name").GetString()).ToList();
        Assert.Equal(["mine", "theirs"], all);
        Assert.Equal(HttpStatusCode.OK, (await admin.GetAsync($"/api/projects/{theirs.Id}/next")).StatusCode);
        var members = (await (await admin.GetAsync($"/api/projects/{mine.Id}/members")).Json()).EnumerateArray().Select(m => m.GetProperty("name").GetString()).ToList();
        Assert.Equal(["ann"], members);
    }

    [Fact]
    public async Task Removing_a_member_refuses_their_held_item_and_returns_it_to_the_pool()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));
        var project = app.Project("p", pairs: 1, members: false);
        var annId = app.Service<Data.Annotators.AnnotatorService>().Create("ann", AnnotatorRole.Annotator);
        var ann = app.Api(annId.Token);
        await admin.PostJson($"/api/projects/{project.Id}/members", new { annotator_id = annId.Annotator.Id });
        var assignment = (await (await ann.GetAsync($"/api/projects/{project.Id}/next")).Json()).GetProperty("assignment_id").GetInt64();
        Assert.Equal(0, app.Count("SELECT remaining FROM comparisons"));

        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/projects/{project.Id}/members/{annId.Annotator.Id}")).StatusCode);

        await (await ann.PostJson($"/api/assignments/{assignment}/judgment", new { choice = "tie" })).AssertProblem(HttpStatusCode.Forbidden, "not a member");
        await (await ann.PostAsync($"/api/assignments/{assignment}/skip", null)).AssertProblem(HttpStatusCode.Forbidden, "not a member");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM judgments"));
        Assert.Equal(1, app.Count("SELECT remaining FROM comparisons"));
        Assert.Equal("released", app.Store.Read(c => Dapper.SqlMapper.ExecuteScalar<string>(c, "SELECT state FROM assignments")));
        Assert.Empty((await (await admin.GetAsync($"/api/projects/{project.Id}/members")).Json()).EnumerateArray());
    }

    [Fact]
    public async Task Bad_member_requests_are_clear_errors()
    {
        using var app = new LabelingFactory();
        var admin = app.Api(app.Token("root", AnnotatorRole.Admin));
        var project = app.Project("p", members: false);

        await (await admin.PostJson($"/api/projects/{project.Id}/members", new { annotator = "nobody" })).AssertProblem(HttpStatusCode.BadRequest, "nobody");
        await (await admin.PostJson($"/api/projects/{project.Id}/members", new { })).AssertProblem(HttpStatusCode.BadRequest, "annotator");
        await (await admin.PostJson("/api/projects/999/members", new { annotator = "root" })).AssertProblem(HttpStatusCode.NotFound, "project 999");
        await (await admin.GetAsync("/api/projects/999/members")).AssertProblem(HttpStatusCode.NotFound, "project 999");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM project_members"));
    }
}
