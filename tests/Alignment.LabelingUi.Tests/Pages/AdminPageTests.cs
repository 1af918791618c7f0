using System.Net;
using Alignment.Data.Model;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Pages;

// Admin pages over HTTP: who may see them, what they show, and the forms that still post (static SSR, antiforgery tokens).
// The interactive pages' forms (projects list, annotators, disagreements) are tested with bUnit in Components/.
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
    [InlineData("/ui/admin/projects/{p}/activity")]
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
        foreach (var part in new[] { "Live progress", "data-activity", "name=\"file\"", "format=trl", "format=kto", "format=csv", "Overlap k", "Save settings", "hx-trigger=\"every 5s\"" })
            Assert.Contains(part, settings);

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

    private static async Task<HttpResponseMessage> Upload(HttpClient client, long projectId, string content, string fileName, string kind = "pairs")
    {
        var page = $"/admin/projects/{projectId}";
        var html = await client.GetStringAsync(page);
        var form = new MultipartFormDataContent
        {
            { new StringContent("import"), "_handler" },
            { new StringContent(Http.AntiforgeryToken(html)), "__RequestVerificationToken" },
            { new StringContent(kind), "kind" },
            { new StringContent(content), "file", fileName },
        };
        return await client.PostAsync(page, form);
    }

    [Fact]
    public async Task Importing_through_the_upload_form_reports_counts_and_a_bad_file_writes_nothing()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        var good = await Upload(admin, project.Id, LabelingFactory.PairsJsonl(3), "pairs.jsonl");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Contains("3 new comparisons", await good.Content.ReadAsStringAsync());

        var bad = await Upload(admin, project.Id, "prompt,response_a,response_b\nnew prompt,x,\n", "more.csv");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("more.csv:2: field &quot;response_b&quot; is empty", await bad.Content.ReadAsStringAsync());
        Assert.Equal(3, app.Count("SELECT COUNT(1) FROM comparisons"));
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM prompts WHERE text = 'new prompt'"));
    }

    [Fact]
    public async Task A_failed_responses_import_keeps_responses_selected_and_names_the_completion_alias()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        var bad = await Upload(admin, project.Id, "{\"prompt\":\"p\",\"answer\":\"a\"}\n", "responses.jsonl", kind: "responses");
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var html = await bad.Content.ReadAsStringAsync();
        Assert.Contains("responses.jsonl:1: field &quot;response&quot; is missing (its alias &quot;completion&quot; is accepted too)", html);
        Assert.Matches("<option value=\"responses\" selected[^>]*>responses</option>", html);
        Assert.DoesNotMatch("<option value=\"pairs\" selected", html);

        var good = await Upload(admin, project.Id, "{\"prompt\":\"p\",\"completion\":\"a\"}\n", "responses.jsonl", kind: "responses");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM responses WHERE text = 'a'"));
    }

    [Fact]
    public async Task The_admin_sees_which_item_was_skipped_and_reopens_it_for_the_skipper()
    {
        using var app = new LabelingFactory();
        var project = app.Project(overlap: 2, pairs: 2);
        var al = app.Api(app.Token("al"));
        var bo = app.Api(app.Token("bo"));
        var first = await (await al.GetAsync($"/api/projects/{project.Id}/next")).Json();
        var assignment = first.GetProperty("assignment_id").GetInt64();
        var skippedComparison = app.Count("SELECT comparison_id FROM assignments WHERE id = @assignment", new { assignment });
        Assert.Equal(HttpStatusCode.NoContent, (await al.PostAsync($"/api/assignments/{assignment}/skip", null)).StatusCode);
        await Judge.All(al, project.Id, _ => "A");
        await Judge.All(bo, project.Id, _ => "B");
        Assert.Equal(HttpStatusCode.NoContent, (await al.GetAsync($"/api/projects/{project.Id}/next")).StatusCode);
        var admin = await app.SignedIn(app.Token("root", AnnotatorRole.Admin));

        var html = await admin.GetStringAsync($"/admin/projects/{project.Id}");
        Assert.Contains($"data-skipped-comparison=\"{skippedComparison}\"", html);
        var response = await Http.PostForm(admin, $"/admin/projects/{project.Id}", $"reopen-{skippedComparison}", new());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var after = await response.Content.ReadAsStringAsync();
        Assert.Contains($"Comparison {skippedComparison} is open again to the 1 annotator who skipped it.", after);
        Assert.DoesNotContain("data-skipped-comparison", after);

        var again = await (await al.GetAsync($"/api/projects/{project.Id}/next")).Json();
        Assert.Equal(first.GetProperty("prompt").GetString(), again.GetProperty("prompt").GetString());
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
