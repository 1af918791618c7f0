using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Cli;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Tests;

// Stored definitions (the engine's migration 0002): versions, the Elsa fields kept consistent, drafts, and `align workflows save/list`;
// the activity catalog the CLI prints.
public class DefinitionStoreTests
{
    private static DefinitionLibrary Library(TestHome home) =>
        new(new DefinitionRepository(home.Engine.Db), new WorkflowValidator(home.Engine.Registry, home.Engine.Artifacts));

    [Fact]
    public void Every_save_is_a_new_version_and_only_the_newest_is_latest()
    {
        using var home = new TestHome();
        var library = Library(home);
        var first = library.Import(TestHome.RoundTripWorkflow, "alice");
        var changed = DefinitionSerializer.Load(TestHome.RoundTripWorkflow);
        changed.Version = 9; // whatever the document says, the store numbers versions itself
        changed.Json["id"] = "something-else";
        changed.Name = "Second";
        var second = library.Save(changed, "bob");

        Assert.Equal((1, 2), (first.Stored.Info.Version, second.Stored.Info.Version));
        Assert.Empty(first.Errors);
        Assert.Equal(9, changed.Version); // the argument is not changed
        var repository = library.Repository;
        var v1 = repository.Get("labeling-roundtrip", 1);
        var v2 = repository.Get("labeling-roundtrip");
        Assert.Equal((1, "labeling-roundtrip-v1", false, false), (v1.Definition.Version, (string?)v1.Definition.Json["id"], v1.Definition.IsLatest, v1.Info.IsLatest));
        Assert.Equal((2, "labeling-roundtrip-v2", true, true), (v2.Definition.Version, (string?)v2.Definition.Json["id"], v2.Definition.IsLatest, v2.Info.IsLatest));
        Assert.Equal(("Second", "bob"), (v2.Info.Name, v2.Info.CreatedBy));
        // The imported file's folder is where relative paths resolve; a later save without one keeps it.
        Assert.Equal(Path.GetDirectoryName(TestHome.RoundTripWorkflow), v1.Info.SourceDir);
        Assert.Equal(v1.Info.SourceDir, v2.Info.SourceDir);
        Assert.Equal([2, 1], repository.Versions("labeling-roundtrip").Select(v => v.Version));

        Assert.Contains("has no version 3", Assert.Throws<WorkflowNotFoundException>(() => repository.Get("labeling-roundtrip", 3)).Message);
        Assert.Contains("no workflow definition 'nope'", Assert.Throws<WorkflowNotFoundException>(() => repository.Get("nope")).Message);
    }

    [Fact]
    public void A_definition_without_a_usable_id_is_refused_and_one_with_errors_is_a_draft()
    {
        using var home = new TestHome();
        var library = Library(home);
        var bad = WorkflowDefinition.Create("has space", "Bad");
        Assert.Contains("not usable", Assert.Throws<WorkflowException>(() => library.Save(bad, "alice")).Message);
        bad.Json.Remove("definitionId");
        Assert.Contains("no \"definitionId\"", Assert.Throws<WorkflowException>(() => library.Save(bad, "alice")).Message);

        var draft = WorkflowDefinition.Create("draft", "Draft");
        draft.AddActivity("import", "Alignment.ImportDataset");
        var saved = library.Save(draft, "alice");
        Assert.Equal(ValidationCodes.MissingInput, Assert.Single(saved.Errors).Code);
        Assert.Equal(1, library.Repository.Get("draft").Info.ErrorCount);
        // A draft cannot start.
        Assert.Throws<WorkflowValidationException>(() => home.Engine.Start(library.Repository.Get("draft").Definition, "draft", null, home.Folder, new Dictionary<string, string>()));
    }

    [Fact]
    public void Cli_save_and_list_show_the_versions()
    {
        using var home = new TestHome();
        var draft = WorkflowDefinition.Create("draft", "Draft");
        draft.AddActivity("import", "Alignment.ImportDataset");
        var draftFile = home.Write(draft, "draft.json");

        var (code1, out1, _) = Run("workflows", "save", TestHome.RoundTripWorkflow, "--home", home.Home);
        var (code2, out2, _) = Run("workflows", "save", TestHome.RoundTripWorkflow, "--home", home.Home);
        var (code3, _, err3) = Run("workflows", "save", draftFile, "--home", home.Home);
        Assert.Equal((0, 0, 2), (code1, code2, code3));
        Assert.StartsWith("saved labeling-roundtrip version 1 (4 activities, 3 connections)", out1);
        Assert.StartsWith("saved labeling-roundtrip version 2", out2);
        Assert.Contains("saved as a draft with 1 validation error", err3);
        Assert.Contains("required input 'path' is missing", err3);

        var (code, json, _) = Run("workflows", "list", "--json", "--home", home.Home);
        Assert.Equal(0, code);
        var rows = JsonDocument.Parse(json).RootElement.EnumerateArray()
            .Select(r => (r.GetProperty("definition_id").GetString(), r.GetProperty("version").GetInt32(), r.GetProperty("is_latest").GetBoolean(), r.GetProperty("error_count").GetInt32(), r.GetProperty("created_by").GetString()))
            .ToList();
        Assert.Equal([("draft", 1, true, 1, "cli"), ("labeling-roundtrip", 2, true, 0, "cli"), ("labeling-roundtrip", 1, false, 0, "cli")], rows);
        var (_, text, _) = Run("workflows", "list", "--home", home.Home);
        Assert.Contains("labeling-roundtrip v2 (latest)", text);
        Assert.Contains("draft, 1 error", text);
    }

    [Fact]
    public void Cli_activities_json_has_the_descriptor_fields_the_designer_reads()
    {
        var (code, json, _) = Run("workflows", "activities", "--json");
        Assert.Equal(0, code);
        var all = JsonNode.Parse(json)!.AsArray();
        var decision = all.Single(a => (string?)a!["type"] == "Elsa.FlowDecision")!;
        Assert.Equal(["type", "version", "category", "display_name", "description", "inputs", "outputs", "ports"], decision.AsObject().Select(p => p.Key));
        Assert.Equal(["True", "False"], decision["ports"]!.AsArray().Select(p => (string?)p));
        var path = all.Single(a => (string?)a!["type"] == "Alignment.ImportDataset")!["inputs"]!.AsArray().Single(i => (string?)i!["name"] == "path")!;
        Assert.Equal(["name", "type", "type_name", "required", "default", "description", "artifact_kind", "choices", "affects_cache", "accepts"], path.AsObject().Select(p => p.Key));
        Assert.Equal(("file", "String", true), ((string?)path["type"], (string?)path["type_name"], (bool)path["required"]!));
        // The designer offers an output to an input when the input accepts its artifact type: a model folder without
        // weights (TrainTokenizer's) is a tokenizer, which CreateModel's tokenizer input takes and ExportModel's model does not.
        JsonNode Of(string type, string list, string name) => all.Single(a => (string?)a!["type"] == type)![list]!.AsArray().Single(i => (string?)i!["name"] == name)!;
        Assert.Equal("tokenizer", (string?)Of("Alignment.TrainTokenizer", "outputs", "tokenizer")["artifact_type"]);
        Assert.Equal("model", (string?)Of("Alignment.TrainTokenizer", "outputs", "tokenizer")["artifact_kind"]);
        Assert.Equal(["model", "tokenizer"], Of("Alignment.CreateModel", "inputs", "tokenizer")["accepts"]!.AsArray().Select(t => (string?)t));
        Assert.Equal(["model"], Of("Alignment.ExportModel", "inputs", "model")["accepts"]!.AsArray().Select(t => (string?)t));
    }

    private static (int Code, string Out, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = AlignApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
