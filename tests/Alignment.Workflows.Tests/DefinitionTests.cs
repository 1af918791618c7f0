using System.Text.Json.Nodes;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Tests;

public class DefinitionTests
{
    public static TheoryData<string> ElsaExamples => new() { "hello-world.json", "fork-decision-join-waitall.json", "provider.json", "consumer.json" };

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "elsa", name);

    [Theory]
    [MemberData(nameof(ElsaExamples))]
    public void Elsa_examples_survive_a_round_trip_with_every_key(string name)
    {
        var text = File.ReadAllText(Fixture(name));
        var written = DefinitionSerializer.Write(DefinitionSerializer.Parse(text, name));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(text), JsonNode.Parse(written)), written);
        var again = DefinitionSerializer.Parse(written);
        Assert.Equal(DefinitionSerializer.Parse(text).Activities.Select(a => (a.Id, a.Type, a.Name)), again.Activities.Select(a => (a.Id, a.Type, a.Name)));
    }

    [Fact]
    public void Typed_accessors_read_the_Elsa_shape()
    {
        var d = DefinitionSerializer.Load(Fixture("fork-decision-join-waitall.json"));

        Assert.Equal("3d3412c458178ff3", d.DefinitionId);
        Assert.Equal(14, d.Version);
        Assert.True(d.IsLatest);
        Assert.Equal("Elsa.Flowchart", d.RootType);
        Assert.Equal(9, d.Activities.Count);
        Assert.Equal(10, d.Connections.Count);
        Assert.Equal("myNumber", Assert.Single(d.Variables).Name);
        var join = d.FindActivity("80847eb320f89c72")!;
        Assert.Equal("WaitAll", join.GetInput("mode")!.Expression!.Text);
        Assert.Equal((1241.6124954223633, -1.100006103515625), join.Position);
        var decision = d.FindActivity("35c0f40b240666c6")!;
        Assert.Equal(ExpressionKind.Unsupported, decision.GetInput("condition")!.Expression!.Kind);
        Assert.Equal("JavaScript", decision.GetInput("condition")!.Expression!.TypeName);
    }

    [Fact]
    public void Unknown_Elsa_activity_types_are_reported_by_validation_but_kept_by_the_round_trip()
    {
        var text = File.ReadAllText(Fixture("hello-world.json"));
        var definition = DefinitionSerializer.Parse(text);

        var error = Assert.Single(new WorkflowValidator(TestHome.Registry()).Validate(definition));

        Assert.Equal(ValidationCodes.UnknownType, error.Code);
        Assert.Contains("'b039045bb7443e57'", error.Message);
        Assert.Contains("'WriteLine1'", error.Message);
        Assert.Contains("Elsa.WriteLine", error.Message);
        Assert.Contains("\"type\": \"Elsa.WriteLine\"", DefinitionSerializer.Write(definition));
    }

    [Fact]
    public void The_fork_example_reports_its_write_lines_and_its_JavaScript_condition()
    {
        var errors = new WorkflowValidator(TestHome.Registry()).Validate(DefinitionSerializer.Load(Fixture("fork-decision-join-waitall.json")));

        Assert.Equal(7, errors.Count(e => e.Code == ValidationCodes.UnknownType));   // six WriteLines and Elsa.Fault
        var js = Assert.Single(errors, e => e.Code == ValidationCodes.UnsupportedExpression);
        Assert.Equal("35c0f40b240666c6", js.ActivityId);
        Assert.Contains("FlowDecision1", js.Message);
    }

    [Theory]
    [InlineData("{\n  \"name\": \"x\",\n  \"root\" {}\n}", 3, 10)]
    [InlineData("{\"a\": [1, 2,, 3]}", 1, 13)]
    [InlineData("{\n\t\"naïve\": tru }", 2, 14)]   // after "tru"; ï is two bytes but one column
    public void Malformed_json_names_line_and_column(string text, int line, int column)
    {
        var e = Assert.Throws<DefinitionFormatException>(() => DefinitionSerializer.Parse(text, "bad.json"));

        Assert.Equal(line, e.Line);
        Assert.Equal(column, e.Column);
        Assert.StartsWith($"bad.json:{line}:{column}: invalid JSON", e.Message);
    }

    [Fact]
    public void A_json_array_is_not_a_definition()
    {
        var e = Assert.Throws<DefinitionFormatException>(() => DefinitionSerializer.Parse("[]", "list.json"));
        Assert.Contains("must be a JSON object", e.Message);
    }

    [Fact]
    public void Definitions_built_in_code_are_written_in_the_Elsa_shape_and_read_back()
    {
        var d = WorkflowDefinition.Create("demo", "Demo");
        var import = d.AddActivity("import", "Alignment.ImportDataset", name: "Import", x: 10, y: 20);
        import.SetInput("path", "String", Expression.Literal("data.jsonl"));
        import.SetCustomProperty("cache", false);
        d.AddActivity("gate", "Alignment.Test.Gate").SetInput("after", "Artifact", Expression.Output("import", "dataset"));
        d.Connect("import", "gate");

        var json = JsonNode.Parse(DefinitionSerializer.Write(d))!;
        Assert.Equal("Elsa.Flowchart", (string?)json["root"]!["type"]);
        Assert.Equal("Literal", (string?)json["root"]!["activities"]![0]!["path"]!["expression"]!["type"]);
        Assert.Equal(20.0, (double)json["root"]!["activities"]![0]!["metadata"]!["designer"]!["position"]!["y"]!);
        Assert.Equal("Done", (string?)json["root"]!["connections"]![0]!["source"]!["port"]);

        var back = DefinitionSerializer.Parse(json.ToJsonString());
        Assert.False(back.FindActivity("import")!.CacheEnabled);
        Assert.Equal(("import", "dataset"), back.FindActivity("gate")!.GetInput("after")!.Expression!.OutputReference);
    }
}
