using System.Net;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Pages;

// Admin pages over HTTP: who may see them, what they show (prerendered), and the antiforgery check on form posts.
// The interactive pages' forms (projects list, project settings, annotators, disagreements) are tested with bUnit in Components/.
public class AdminPageTests
{
    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/annotators")]
    [InlineData("/admin/projects/{p}")]
    [InlineData("/admin/projects/{p}/agreement")]
    [InlineData("/admin/projects/{p}/disagreements")]
    [InlineData("/admin/projects/{p}/leaderboard")]
    [InlineData("/ui/admin/projects/{p}/export?format=trl")]
    public async Task Annotators_get_403_on_admin_pages(string path)
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 1);
        var browser = await app.SignedIn(app.Token("ann"));

        var response = await browser.GetAsync(path.Replace("{p}", project.Id.ToString()));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.DoesNotContain(LabelingFactory.ModelA, body);
        Assert.Contains("Admins only", body);
    }

    [Fact]
    public async Task Admin_pages_render_their_parts()
    {
        using var app = new LabelingFactory();
        var project = app.Project(name: "harmlessness", overlap: 2, pairs: 3);
        await Judge.All(app.Api(app.Token("al")), project.Id, _ => "A");
        await Judge.All(app.Api(app.Token("bo")), project.Id, p => Judge.Number(p) == 0 ? "tie" : "A");
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        var list = await admin.GetStringAsync("/admin");
        Assert.Contains("harmlessness", list);
        Assert.Contains("New project", list);

        var settings = await admin.GetStringAsync($"/admin/projects/{project.Id}");
        foreach (var part in new[] { "Live progress", "data-activity", "data-activity-annotator=\"al\"", "type=\"file\"", "format=trl", "format=kto", "format=csv", "Overlap k", "Save settings" })
            Assert.Contains(part, settings);
        Assert.DoesNotContain("hx-", settings);   // the activity grid refreshes over the circuit; the htmx fragment is gone
        Assert.Equal(HttpStatusCode.NotFound, (await admin.GetAsync($"/ui/admin/projects/{project.Id}/activity")).StatusCode);

        var agreement = await admin.GetStringAsync($"/admin/projects/{project.Id}/agreement");
        foreach (var part in new[] { "Fleiss", "Krippendorff", "data-kappa-matrix", "n=3" })
            Assert.Contains(part, agreement);

        var disagreements = await admin.GetStringAsync($"/admin/projects/{project.Id}/disagreements");
        Assert.Contains("data-disagreements=\"1\"", disagreements);
        Assert.Contains("data-comparison=\"1\"", disagreements);   // the grid's row (its card opens over the circuit)

        var leaderboard = await admin.GetStringAsync($"/admin/projects/{project.Id}/leaderboard");
        Assert.Contains("leaderboard-chart", leaderboard);
        Assert.Contains($"\"model\":\"{LabelingFactory.ModelA}\"", leaderboard);
        Assert.Contains("data-leaderboard", leaderboard);

        var people = await admin.GetStringAsync("/admin/annotators");
        foreach (var name in new[] { "al", "bo", "root" })
            Assert.Contains($"data-annotator-name>{name}<", people);
    }

    [Fact]
    public async Task A_form_post_without_the_antiforgery_token_is_refused_and_creates_nothing()
    {
        using var app = new LabelingFactory();
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        var response = await admin.PostAsync("/admin", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["_handler"] = "create-project", ["NewProject.Name"] = "forged", ["NewProject.OverlapK"] = "1",
        }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("antiforgery", (await response.Content.ReadAsStringAsync()).ToLowerInvariant());
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM projects"));
    }

    [Fact]
    public async Task The_export_downloads_from_the_admin_page_with_the_cookie()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 2);
        await Judge.All(app.Api(app.Token("al")), project.Id, _ => "B");
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        var response = await admin.GetAsync($"/ui/admin/projects/{project.Id}/export?format=trl");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var lines = (await response.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.All(lines, l => Assert.Contains("\"chosen\":\"Answer B", l));
    }
}
