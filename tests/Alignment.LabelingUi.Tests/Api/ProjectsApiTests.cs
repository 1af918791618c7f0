using System.Net;
using System.Text.Json;
using Alignment.LabelingUi.Tests.Infrastructure;

namespace Alignment.LabelingUi.Tests.Api;

// Projects, import and export through the REST API (admin token).
public class ProjectsApiTests
{
    [Fact]
    public async Task Admins_create_list_and_update_projects()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));

        var created = await api.PostJson("/api/projects", new { name = "helpfulness", guidelines = "# Be kind", overlap_k = 3 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var project = await created.Json();
        var id = project.GetProperty("id").GetInt64();
        Assert.Equal(3, project.GetProperty("overlap_k").GetInt32());

        var updated = await (await api.PutAsync($"/api/projects/{id}", System.Net.Http.Json.JsonContent.Create(new { overlap_k = 2 }))).Json();
        Assert.Equal(2, updated.GetProperty("overlap_k").GetInt32());
        Assert.Equal("# Be kind", updated.GetProperty("guidelines").GetString());

        var list = await (await app.Api(app.Token("ann")).GetAsync("/api/projects")).Json();
        Assert.Equal("helpfulness", list.EnumerateArray().Single().GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_duplicate_name_is_409_and_a_bad_setting_is_400()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));
        await api.PostJson("/api/projects", new { name = "p" });

        await (await api.PostJson("/api/projects", new { name = "p" })).AssertProblem(HttpStatusCode.Conflict, "already exists");
        await (await api.PostJson("/api/projects", new { name = "q", overlap_k = 0 })).AssertProblem(HttpStatusCode.BadRequest, "overlap k");
        await (await api.PostJson("/api/projects", new { overlap_k = 2 })).AssertProblem(HttpStatusCode.BadRequest, "name");
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM projects"));
    }

    [Fact]
    public async Task Import_of_pairs_reports_what_it_wrote()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var api = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));

        var result = await (await api.PostAsync($"/api/projects/{project.Id}/import?kind=pairs", AuthTests.Multipart(LabelingFactory.PairsJsonl(4), "pairs.jsonl"))).Json();

        Assert.Equal(4, result.GetProperty("rows").GetInt32());
        Assert.Equal(4, result.GetProperty("comparisons_created").GetInt32());
        Assert.Equal(4, app.Count("SELECT COUNT(1) FROM comparisons"));
    }

    [Fact]
    public async Task Import_of_a_csv_of_responses_then_pairing_creates_comparisons()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var api = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));
        const string csv = "prompt,response,model\nWhat is 2+2?,4,m1\nWhat is 2+2?,\"four, I think\",m2\nWhat is 2+2?,5,m3\n";

        await api.PostAsync($"/api/projects/{project.Id}/import?kind=responses", AuthTests.Multipart(csv, "responses.csv"));
        var paired = await (await api.PostJson($"/api/projects/{project.Id}/comparisons", new { mode = "all" })).Json();

        Assert.Equal(3, paired.GetProperty("created").GetInt32());
        Assert.Equal(3, app.Count("SELECT COUNT(1) FROM responses"));
    }

    [Theory]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p1\",\"response_a\":\"a\",\"response_b\":\"b\"}\n{\"prompt\":\"p2\",\"response_a\":\"a\"}\n", "pairs.jsonl:2: field \"response_b\" is missing")]
    [InlineData("pairs.jsonl", "{\"prompt\":\"p1\",\"response_a\":\"a\",\"response_b\":\"b\"}\nnot json\n", "pairs.jsonl:2: is not valid JSON")]
    [InlineData("pairs.csv", "prompt,response_a,response_b\np1,a,b\np2,,b\n", "pairs.csv:3: field \"response_a\" is empty")]
    [InlineData("pairs.txt", "whatever", "unknown file type")]
    public async Task A_malformed_import_is_400_naming_line_and_field_and_nothing_is_written(string fileName, string content, string expected)
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var api = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));

        var response = await api.PostAsync($"/api/projects/{project.Id}/import?kind=pairs", AuthTests.Multipart(content, fileName));

        await response.AssertProblem(HttpStatusCode.BadRequest, expected);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM prompts"));
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM responses"));
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM comparisons"));
    }

    [Fact]
    public async Task Import_without_a_kind_or_a_file_or_into_an_unknown_project_is_refused()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 0);
        var api = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));

        await (await api.PostAsync($"/api/projects/{project.Id}/import", AuthTests.Multipart("{}", "x.jsonl"))).AssertProblem(HttpStatusCode.BadRequest, "kind is required");
        await (await api.PostAsync($"/api/projects/{project.Id}/import?kind=answers", AuthTests.Multipart("{}", "x.jsonl"))).AssertProblem(HttpStatusCode.BadRequest, "kind 'answers'");
        await (await api.PostAsync($"/api/projects/{project.Id}/import?kind=pairs", new MultipartFormDataContent { { new StringContent("x"), "other" } })).AssertProblem(HttpStatusCode.BadRequest, "file");
        await (await api.PostAsync("/api/projects/4242/import?kind=pairs", AuthTests.Multipart(LabelingFactory.PairsJsonl(1), "p.jsonl"))).AssertProblem(HttpStatusCode.NotFound, "project 4242");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM comparisons"));
    }

    [Fact]
    public async Task Export_writes_trl_preferences_kto_rows_and_the_judgment_csv()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 3);
        var annotator = app.Api(app.Token("ann"));
        // Judge: first left (strength -3), second tie, third both bad.
        var choices = new object[] { new { choice = "left", strength = -3 }, new { choice = "tie" }, new { choice = "both_bad" } };
        string? firstLeft = null, firstRight = null;
        foreach (var choice in choices)
        {
            var item = await (await annotator.GetAsync($"/api/projects/{project.Id}/next")).Json();
            firstLeft ??= item.GetProperty("left").GetString();
            firstRight ??= item.GetProperty("right").GetString();
            await annotator.PostJson($"/api/assignments/{item.GetProperty("assignment_id").GetInt64()}/judgment", choice);
        }
        var admin = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));

        var trl = await admin.GetAsync($"/api/projects/{project.Id}/export?format=trl");
        Assert.Equal("application/x-ndjson", trl.Content.Headers.ContentType?.MediaType);
        Assert.Contains("demo-preferences.jsonl", trl.Content.Headers.ContentDisposition?.ToString());
        var rows = (await trl.Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var row = JsonDocument.Parse(Assert.Single(rows)).RootElement;
        Assert.Equal(firstLeft, row.GetProperty("chosen").GetString());
        Assert.Equal(firstRight, row.GetProperty("rejected").GetString());
        Assert.Equal(1.0, row.GetProperty("margin").GetDouble());

        var kto = (await (await admin.GetAsync($"/api/projects/{project.Id}/export?format=kto")).Content.ReadAsStringAsync())
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(6, kto.Count);
        Assert.Equal(3, kto.Count(r => r.GetProperty("label").GetBoolean()));   // winner, and both answers of the tie

        var csv = (await (await admin.GetAsync($"/api/projects/{project.Id}/export?format=csv")).Content.ReadAsStringAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("judgment_id,comparison_id,annotator,outcome,strength", csv[0]);
        Assert.Equal(4, csv.Length);
    }

    [Fact]
    public async Task Export_with_an_unknown_format_is_400_and_of_an_unknown_project_404()
    {
        using var app = new LabelingFactory();
        var project = app.Project(pairs: 1);
        var admin = app.Api(app.Token("root", Data.Model.AnnotatorRole.Admin));

        await (await admin.GetAsync($"/api/projects/{project.Id}/export?format=xml")).AssertProblem(HttpStatusCode.BadRequest, "format 'xml'");
        await (await admin.GetAsync($"/api/projects/{project.Id}/export")).AssertProblem(HttpStatusCode.BadRequest, "format is required");
        await (await admin.GetAsync("/api/projects/77/export?format=trl")).AssertProblem(HttpStatusCode.NotFound, "project 77");
    }
}
