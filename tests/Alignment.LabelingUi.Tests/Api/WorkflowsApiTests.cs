using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Data.Model;
using Alignment.LabelingUi.Features.Workflows;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Api;

// The designer's API under /api/workflows: versions, validation with node errors, the activity catalog, auth (admins
// only, by bearer token or by cookie with an antiforgery header), the round trip of a shipped file, and runs.
public class WorkflowsApiTests
{
    private static string RepoFile(params string[] parts)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
        return Path.Combine([dir!.FullName, .. parts]);
    }

    private static StringContent Body(string json) => new(json, Encoding.UTF8, "application/json");

    private static Task<HttpResponseMessage> Post(HttpClient client, string url, string json) => client.PostAsync(url, Body(json));

    [Fact]
    public async Task Saving_creates_version_2_and_keeps_version_1_readable()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ada", AnnotatorRole.Admin));
        var original = File.ReadAllText(RepoFile("workflows", "labeling-roundtrip.json"));

        var first = await Post(api, "/api/workflows", original);
        Assert.Equal(HttpStatusCode.Created, first.StatusCode);
        var saved1 = await first.Json();
        Assert.Equal(1, saved1.GetProperty("version").GetInt32());
        Assert.True(saved1.GetProperty("valid").GetBoolean());

        var edited = JsonNode.Parse(original)!.AsObject();
        edited["name"] = "Labeling round trip, edited";
        var second = await Post(api, "/api/workflows", edited.ToJsonString());
        Assert.Equal(HttpStatusCode.Created, second.StatusCode);
        Assert.Equal("/api/workflows/labeling-roundtrip?version=2", second.Headers.Location?.ToString());

        var v1 = await (await api.GetAsync("/api/workflows/labeling-roundtrip?version=1")).Json();
        var v2 = await (await api.GetAsync("/api/workflows/labeling-roundtrip")).Json();
        Assert.Equal("Labeling round trip", v1.GetProperty("definition").GetProperty("name").GetString());
        Assert.False(v1.GetProperty("is_latest").GetBoolean());
        Assert.Equal("labeling-roundtrip-v1", v1.GetProperty("definition").GetProperty("id").GetString());
        Assert.False(v1.GetProperty("definition").GetProperty("isLatest").GetBoolean());
        Assert.Equal(2, v2.GetProperty("version").GetInt32());
        Assert.Equal("Labeling round trip, edited", v2.GetProperty("definition").GetProperty("name").GetString());
        Assert.Equal(2, v2.GetProperty("definition").GetProperty("version").GetInt32());
        Assert.Equal("labeling-roundtrip-v2", v2.GetProperty("definition").GetProperty("id").GetString());
        Assert.True(v2.GetProperty("definition").GetProperty("isLatest").GetBoolean());
        Assert.Equal([2, 1], v2.GetProperty("versions").EnumerateArray().Select(v => v.GetInt32()));

        var list = await (await api.GetAsync("/api/workflows")).Json();
        var entry = Assert.Single(list.EnumerateArray());
        Assert.Equal(2, entry.GetProperty("latest_version").GetInt32());
        Assert.Equal(["ada", "ada"], entry.GetProperty("versions").EnumerateArray().Select(v => v.GetProperty("created_by").GetString()));
        Assert.Equal(2, app.Count("SELECT COUNT(1) FROM workflow_definitions WHERE definition_id = 'labeling-roundtrip'"));
        Assert.Equal(2, app.Count("SELECT version FROM workflow_definitions WHERE is_latest = 1"));

        var missing = await api.GetAsync("/api/workflows/labeling-roundtrip?version=7");
        await missing.AssertProblem(HttpStatusCode.NotFound, "has no version 7");
    }

    [Fact]
    public async Task A_shipped_definition_saved_back_unchanged_keeps_every_key()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ada", AnnotatorRole.Admin));
        var file = JsonNode.Parse(File.ReadAllText(RepoFile("workflows", "iterative-dpo.json")))!.AsObject();
        // Keys no tool of ours knows, at the top, on an activity and on a connection.
        file["x-team"] = new JsonObject { ["owner"] = "research", ["tags"] = new JsonArray("a", "b") };
        file["root"]!["activities"]![0]!["x-note"] = "keep me";
        file["root"]!["connections"]![0]!["x-style"] = new JsonObject { ["dashed"] = true };
        Assert.Equal(HttpStatusCode.Created, (await Post(api, "/api/workflows", file.ToJsonString())).StatusCode);

        // What the designer does: open it, save without edits.
        var opened = await (await api.GetAsync("/api/workflows/iterative-dpo")).Json();
        Assert.Equal(HttpStatusCode.Created, (await Post(api, "/api/workflows", opened.GetProperty("definition").GetRawText())).StatusCode);

        var stored = JsonNode.Parse((await (await api.GetAsync("/api/workflows/iterative-dpo?version=2")).Json()).GetProperty("definition").GetRawText())!;
        var expected = file.DeepClone().AsObject();
        expected["version"] = 2;
        expected["id"] = "iterative-dpo-v2";
        expected["isLatest"] = true;
        Assert.True(JsonNode.DeepEquals(expected, stored), $"stored:\n{stored}");
        Assert.Equal(file.Select(p => p.Key), stored.AsObject().Select(p => p.Key)); // same keys, same order
    }

    [Fact]
    public async Task Validate_names_the_activity_and_input_of_each_error()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ada", AnnotatorRole.Admin));
        var definition = WorkflowDefinition.Create("draft", "Draft");
        definition.AddActivity("import", "Alignment.ImportDataset");                // required input 'path' missing
        definition.AddActivity("mystery", "Alignment.NoSuchStage");                 // unknown type
        definition.Connect("import", "mystery");

        var response = await Post(api, "/api/workflows/validate", DefinitionSerializer.Write(definition));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = await response.Json();
        Assert.False(result.GetProperty("valid").GetBoolean());
        var errors = result.GetProperty("errors").EnumerateArray().ToList();
        var missing = Assert.Single(errors, e => e.GetProperty("code").GetString() == "missing-input");
        Assert.Equal("import", missing.GetProperty("activity_id").GetString());
        Assert.Equal("path", missing.GetProperty("input").GetString());
        var unknown = Assert.Single(errors, e => e.GetProperty("code").GetString() == "unknown-type");
        Assert.Equal("mystery", unknown.GetProperty("activity_id").GetString());
        Assert.Contains("Alignment.NoSuchStage", unknown.GetProperty("message").GetString());
        Assert.Equal(JsonValueKind.Null, unknown.GetProperty("input").ValueKind);

        definition.Json["root"]!["activities"]!.AsArray().RemoveAt(1);
        definition.Json["root"]!["connections"]!.AsArray().Clear();
        definition.FindActivity("import")!.SetInput("path", "String", Expression.Literal("data.jsonl"));
        var clean = await (await Post(api, "/api/workflows/validate", DefinitionSerializer.Write(definition))).Json();
        Assert.True(clean.GetProperty("valid").GetBoolean());
        Assert.Empty(clean.GetProperty("errors").EnumerateArray());
    }

    [Fact]
    public async Task Malformed_json_is_a_400_with_line_and_column()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ada", AnnotatorRole.Admin));
        // Line 3 is `  "b" 2`: the parser expects ':' where the 2 is, the 7th character of the line.
        const string text = "{\n  \"a\": 1,\n  \"b\" 2\n}";

        foreach (var url in new[] { "/api/workflows/validate", "/api/workflows" })
        {
            var response = await Post(api, url, text);
            var detail = await response.AssertProblem(HttpStatusCode.BadRequest, "request body:3:7:");
            var problem = await response.Json();
            Assert.Equal(3, problem.GetProperty("line").GetInt32());
            Assert.Equal(7, problem.GetProperty("column").GetInt32());
            Assert.Contains("invalid JSON", detail);
        }
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM workflow_definitions"));
    }

    [Fact]
    public async Task An_invalid_definition_is_saved_as_a_flagged_draft_that_cannot_run()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ada", AnnotatorRole.Admin));
        var definition = WorkflowDefinition.Create("draft", "Draft");
        definition.AddActivity("import", "Alignment.ImportDataset");

        var saved = await (await Post(api, "/api/workflows", DefinitionSerializer.Write(definition))).Json();
        Assert.False(saved.GetProperty("valid").GetBoolean());
        Assert.Equal("path", Assert.Single(saved.GetProperty("errors").EnumerateArray()).GetProperty("input").GetString());
        Assert.Equal(1, app.Count("SELECT error_count FROM workflow_definitions WHERE definition_id = 'draft'"));

        var run = await api.PostAsJsonAsync("/api/workflows/draft/runs", new { });
        await run.AssertProblem(HttpStatusCode.BadRequest, "required input 'path' is missing");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM workflow_instances"));
    }

    [Fact]
    public async Task Activities_lists_the_descriptors_with_inputs_and_ports()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ada", AnnotatorRole.Admin));

        var activities = (await (await api.GetAsync("/api/workflows/activities")).Json()).EnumerateArray().ToList();

        var decision = Assert.Single(activities, a => a.GetProperty("type").GetString() == "Elsa.FlowDecision");
        Assert.Equal(["True", "False"], decision.GetProperty("ports").EnumerateArray().Select(p => p.GetString()));
        Assert.Equal("Flow", decision.GetProperty("category").GetString());
        var import = Assert.Single(activities, a => a.GetProperty("type").GetString() == "Alignment.ImportDataset");
        Assert.Equal("Data", import.GetProperty("category").GetString());
        Assert.Equal("Import dataset", import.GetProperty("display_name").GetString());
        var inputs = import.GetProperty("inputs").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!);
        Assert.True(inputs["path"].GetProperty("required").GetBoolean());
        Assert.Equal("file", inputs["path"].GetProperty("type").GetString());
        Assert.Equal("sft", inputs["format"].GetProperty("default").GetString());
        Assert.Equal(["sft", "preference", "unpaired", "prompts", "responses"], inputs["format"].GetProperty("choices").EnumerateArray().Select(c => c.GetString()));
        var sft = Assert.Single(activities, a => a.GetProperty("type").GetString() == "Alignment.Sft");
        Assert.Equal(["Done"], sft.GetProperty("ports").EnumerateArray().Select(p => p.GetString()));
        Assert.Contains(sft.GetProperty("outputs").EnumerateArray(), o => o.GetProperty("name").GetString() == "model" && o.GetProperty("artifact_kind").GetString() == "model");
        // Every fine-tuning method is offered in the designer, with the virtual-token count beside it; UPFT is a stage.
        var sftInputs = sft.GetProperty("inputs").EnumerateArray().ToDictionary(i => i.GetProperty("name").GetString()!);
        var methods = sftInputs["finetuning"].GetProperty("choices").EnumerateArray().Select(c => c.GetString()).ToList();
        foreach (string m in new[] { "full", "lora", "freeze", "prefix_tuning", "prompt_tuning", "p_tuning", "ia3", "bottleneck" }) Assert.Contains(m, methods);
        Assert.Equal(20, sftInputs["numVirtualTokens"].GetProperty("default").GetInt32());
        var upft = Assert.Single(activities, a => a.GetProperty("type").GetString() == "Alignment.Upft");
        Assert.Equal("Training", upft.GetProperty("category").GetString());
    }

    [Fact]
    public async Task Annotators_are_refused_and_anonymous_calls_are_401()
    {
        using var app = new LabelingFactory();
        var annotator = app.Token("bob");
        var api = app.Api(annotator);

        await (await api.GetAsync("/api/workflows")).AssertProblem(HttpStatusCode.Forbidden, "admin");
        await (await api.GetAsync("/api/workflows/activities")).AssertProblem(HttpStatusCode.Forbidden, "admin");
        await (await Post(api, "/api/workflows/validate", "{}")).AssertProblem(HttpStatusCode.Forbidden, "admin");
        await (await Post(api, "/api/workflows", "{}")).AssertProblem(HttpStatusCode.Forbidden, "admin");
        await (await app.Api(null).GetAsync("/api/workflows")).AssertProblem(HttpStatusCode.Unauthorized, "Bearer");

        var cookie = await app.SignedIn(annotator);
        Assert.Equal(HttpStatusCode.Forbidden, (await cookie.GetAsync("/api/workflows")).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await cookie.GetAsync("/workflows")).StatusCode);
        // Every call was refused before it reached the engine, which creates its tables on first use: create them to count.
        Alignment.Workflows.EngineMigrations.Ensure(app.Store);
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM workflow_definitions"));
    }

    [Fact]
    public async Task Cookie_calls_that_change_something_need_the_antiforgery_header()
    {
        using var app = new LabelingFactory();
        var browser = await app.SignedIn(app.Token("ada", AnnotatorRole.Admin));
        var definition = DefinitionSerializer.Write(WorkflowDefinition.Create("empty", "Empty"));

        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/api/workflows")).StatusCode);
        await (await Post(browser, "/api/workflows", definition)).AssertProblem(HttpStatusCode.BadRequest, "antiforgery");
        await (await Post(browser, "/api/workflows/validate", definition)).AssertProblem(HttpStatusCode.BadRequest, "antiforgery");
        Assert.Equal(0, app.Count("SELECT COUNT(1) FROM workflow_definitions"));

        var token = Http.AntiforgeryToken(await browser.GetStringAsync("/workflows"));
        var request = new HttpRequestMessage(HttpMethod.Post, "/api/workflows") { Content = Body(definition) };
        request.Headers.Add("RequestVerificationToken", token);
        Assert.Equal(HttpStatusCode.Created, (await browser.SendAsync(request)).StatusCode);
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM workflow_definitions"));
    }

    [Fact]
    public async Task A_workflow_that_ran_from_a_file_is_listed_and_can_be_stored_as_it_ran()
    {
        // align demo and align run start from a file without storing the definition: /workflows was empty after them.
        using var app = new LabelingFactory();
        var engine = app.Service<WorkflowEngine>();
        var run = await engine.RunAsync(engine.Start(RepoFile("workflows", "labeling-roundtrip.json"), new Dictionary<string, string> { ["judge"] = "length" }));
        Assert.Equal(InstanceStatus.Finished, run.Status);
        var browser = await app.SignedIn(app.Token("ada", AnnotatorRole.Admin));

        var page = await browser.GetStringAsync("/workflows");
        Assert.Contains("data-ran=\"labeling-roundtrip\"", page);
        Assert.Contains($"href=\"/runs/{run.InstanceId}\"", page);

        var response = await browser.HtmxPost("/workflows", "/ui/workflows/store-ran", new Dictionary<string, string> { ["instance"] = run.InstanceId });
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal("/workflows/labeling-roundtrip/design?version=1", response.Headers.Location?.ToString());
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM workflow_definitions WHERE definition_id = 'labeling-roundtrip' AND error_count = 0 AND source_dir IS NOT NULL"));
        var after = await browser.GetStringAsync("/workflows");
        Assert.Contains("data-definition=\"labeling-roundtrip\"", after);
        Assert.DoesNotContain("data-ran=", after);
    }

    [Fact]
    public async Task Import_shipped_stores_every_shipped_file_and_export_gives_it_back()
    {
        using var app = new LabelingFactory();
        var browser = await app.SignedIn(app.Token("ada", AnnotatorRole.Admin));
        var shipped = Directory.GetFiles(RepoFile("workflows"), "*.json");

        var response = await browser.HtmxPost("/workflows", "/ui/workflows/import-shipped", new Dictionary<string, string>());
        Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
        Assert.Equal($"/workflows?imported={shipped.Length}", response.Headers.Location?.ToString());
        Assert.Equal(shipped.Length, app.Count("SELECT COUNT(1) FROM workflow_definitions WHERE error_count = 0"));
        Assert.Equal(shipped.Length, app.Count("SELECT COUNT(1) FROM workflow_definitions WHERE source_dir IS NOT NULL"));

        var page = await browser.GetStringAsync("/workflows");
        Assert.Contains("data-definition=\"sft-dpo\"", page);
        var export = await browser.GetAsync("/ui/workflows/sft-dpo/export");
        Assert.Equal("sft-dpo-v1.json", export.Content.Headers.ContentDisposition?.FileNameStar ?? export.Content.Headers.ContentDisposition?.FileName);
        var exported = JsonNode.Parse(await export.Content.ReadAsStringAsync());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(File.ReadAllText(RepoFile("workflows", "sft-dpo.json"))), exported));
    }

    [Fact]
    public async Task Importing_a_file_from_the_list_page_opens_it_in_the_designer()
    {
        using var app = new LabelingFactory();
        var browser = await app.SignedIn(app.Token("ada", AnnotatorRole.Admin));
        var definition = WorkflowDefinition.Create("from-file", "From a file");
        definition.AddActivity("import", "Alignment.ImportDataset").SetInput("path", "String", Expression.Literal("rows.jsonl"));

        async Task<HttpResponseMessage> Upload(string text, bool withToken = true)
        {
            var form = new MultipartFormDataContent();
            if (withToken) form.Add(new StringContent(Http.AntiforgeryToken(await browser.GetStringAsync("/workflows"))), "__RequestVerificationToken");
            form.Add(new StringContent(text, Encoding.UTF8, "application/json"), "file", "from-file.json");
            return await browser.PostAsync("/ui/workflows/import", form);
        }

        Assert.Equal(HttpStatusCode.BadRequest, (await Upload(DefinitionSerializer.Write(definition), withToken: false)).StatusCode);
        var imported = await Upload(DefinitionSerializer.Write(definition));
        Assert.Equal(HttpStatusCode.Redirect, imported.StatusCode);
        Assert.Equal("/workflows/from-file/design?version=1", imported.Headers.Location?.ToString());
        var page = await browser.GetStringAsync("/workflows/from-file/design?version=1");
        Assert.Contains("data-definition-id=\"from-file\"", page);
        Assert.Contains("<script src=\"/lib/x6/x6.min.js\"></script>", page);

        var broken = await Upload("{\n  \"definitionId\": \"x\",\n  oops\n}");
        Assert.Equal(HttpStatusCode.Redirect, broken.StatusCode);
        Assert.Contains(Uri.EscapeDataString("from-file.json:3:3:"), broken.Headers.Location?.ToString());
        Assert.Equal(1, app.Count("SELECT COUNT(1) FROM workflow_definitions"));
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/workflows/nope/design")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await browser.GetAsync("/lib/x6/x6.min.js")).StatusCode);
    }

    [Fact]
    public async Task A_run_starts_the_stored_version_in_the_background_and_finishes()
    {
        using var app = new LabelingFactory();
        var api = app.Api(app.Token("ada", AnnotatorRole.Admin));
        var library = app.Service<DefinitionLibrary>();
        library.Import(RepoFile("workflows", "labeling-roundtrip.json"), "test");
        var v2 = DefinitionSerializer.Load(RepoFile("workflows", "labeling-roundtrip.json"));
        v2.Name = "Round trip v2";
        library.Save(v2, "test"); // keeps the imported file's folder, so ../data/labeling-demo still resolves

        var response = await api.PostAsJsonAsync("/api/workflows/labeling-roundtrip/runs", new { inputs = new Dictionary<string, string> { ["judge"] = "length" } });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var body = await response.Json();
        var id = body.GetProperty("instance_id").GetString()!;
        Assert.Equal(2, body.GetProperty("version").GetInt32());
        Assert.Equal($"/runs/{id}", body.GetProperty("runs_url").GetString());
        var running = app.Service<WorkflowRunLauncher>().Running(id);
        var result = running is null ? null : await running.WaitAsync(TimeSpan.FromMinutes(2));
        var instance = app.Service<WorkflowEngine>().Repository.Get(id);
        Assert.True(instance.Status == InstanceStatus.Finished, $"{instance.Status}: {instance.Error ?? result?.Message}");
        Assert.Equal(2, instance.DefinitionVersion);
        Assert.Equal("Round trip v2", instance.DefinitionName);
        Assert.Equal("length", instance.Inputs["judge"]!.GetValue<string>());

        var unknown = await api.PostAsJsonAsync("/api/workflows/labeling-roundtrip/runs", new { inputs = new Dictionary<string, string> { ["nope"] = "1" } });
        await unknown.AssertProblem(HttpStatusCode.BadRequest, "declares no input 'nope'");
    }
}
