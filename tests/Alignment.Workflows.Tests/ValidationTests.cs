using System.Text.Json.Nodes;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Tests;

public class ValidationTests
{
    /// <summary>import (ImportDataset) -> compare (CreateComparisons): valid as built.</summary>
    private static WorkflowDefinition Valid()
    {
        var d = WorkflowDefinition.Create("v", "Valid");
        d.AddInput("responses", "String", defaultValue: "responses.jsonl");
        d.AddVariable("round", "Int32", "0");
        var import = d.AddActivity("import", "Alignment.ImportDataset", name: "Import data");
        import.SetInput("path", "String", Expression.Input("responses"));
        import.SetInput("format", "String", Expression.Literal("responses"));
        var compare = d.AddActivity("compare", "Alignment.CreateComparisons", name: "Pair them");
        compare.SetInput("responses", "Artifact", Expression.Output("import", "dataset"));
        compare.SetInput("overlap", "Int32", Expression.Literal(2));
        d.Connect("import", "compare");
        return d;
    }

    private static IReadOnlyList<ValidationError> Validate(WorkflowDefinition d) => new WorkflowValidator(TestHome.Registry()).Validate(d);

    private static ValidationError Single(WorkflowDefinition d, string code, string id, string name)
    {
        var errors = Validate(d);
        var error = Assert.Single(errors);
        Assert.Equal(code, error.Code);
        Assert.Equal(id, error.ActivityId);
        Assert.Contains($"'{id}'", error.Message);
        Assert.Contains($"'{name}'", error.Message);
        return error;
    }

    [Fact]
    public void The_valid_definition_and_the_shipped_workflow_have_no_errors()
    {
        Assert.Empty(Validate(Valid()));
        Assert.Empty(Validate(DefinitionSerializer.Load(TestHome.RoundTripWorkflow)));
    }

    [Fact]
    public void Unknown_type()
    {
        var d = Valid();
        d.AddActivity("x", "Alignment.Sft9000", name: "Mystery");
        Assert.Contains("unknown activity type 'Alignment.Sft9000'", Single(d, ValidationCodes.UnknownType, "x", "Mystery").Message);
    }

    [Fact]
    public void Unknown_version_of_a_known_type()
    {
        var d = Valid();
        d.FindActivity("compare")!.Json["version"] = 7;
        Assert.Contains("version 7", Single(d, ValidationCodes.UnknownVersion, "compare", "Pair them").Message);
    }

    [Fact]
    public void Missing_required_input()
    {
        var d = Valid();
        d.FindActivity("import")!.Json.Remove("path");
        Assert.Contains("required input 'path'", Single(d, ValidationCodes.MissingInput, "import", "Import data").Message);
    }

    [Theory]
    [InlineData("overlap", "Int32", "\"two\"", "expected a whole number, got \"two\"")]
    [InlineData("overlap", "Boolean", "2", "typeName 'Boolean'")]
    [InlineData("skipSameModel", "Boolean", "\"maybe\"", "expected true or false")]
    [InlineData("pairing", "String", "\"some\"", "not one of all, random")]
    [InlineData("responses", "Artifact", "\"abc\"", "not a Literal")]
    public void Wrong_input_type(string input, string typeName, string literal, string expected)
    {
        var d = Valid();
        d.FindActivity("compare")!.SetInput(input, typeName, Expression.Literal(JsonNode.Parse(literal)));
        Assert.Contains(expected, Single(d, ValidationCodes.WrongInputType, "compare", "Pair them").Message);
    }

    [Fact]
    public void An_output_of_the_wrong_kind_is_a_wrong_input_type()
    {
        var d = Valid();
        d.FindActivity("compare")!.SetInput("overlap", "Int32", Expression.Output("import", "dataset"));
        Assert.Contains("dataset artifact", Single(d, ValidationCodes.WrongInputType, "compare", "Pair them").Message);
    }

    [Fact]
    public void A_tokenizer_alone_feeds_a_tokenizer_input_but_not_a_model_input()
    {
        // import -> tokenizer (TrainTokenizer: a model folder without weights) -> create (CreateModel) -> export (ExportModel)
        var d = Valid();
        d.AddActivity("tokenizer", "Alignment.TrainTokenizer", name: "Learn a tokenizer").SetInput("dataset", "Artifact", Expression.Output("import", "dataset"));
        d.AddActivity("create", "Alignment.CreateModel", name: "New model").SetInput("tokenizer", "Artifact", Expression.Output("tokenizer", "tokenizer"));
        var export = d.AddActivity("export", "Alignment.ExportModel", name: "Ship it");
        export.SetInput("model", "Artifact", Expression.Output("create", "model"));
        d.Connect("compare", "tokenizer");
        d.Connect("tokenizer", "create");
        d.Connect("create", "export");
        Assert.Empty(Validate(d));

        export.SetInput("model", "Artifact", Expression.Output("tokenizer", "tokenizer"));
        var message = Single(d, ValidationCodes.WrongInputType, "export", "Ship it").Message;
        Assert.Contains("input 'model' takes a model artifact", message);
        Assert.Contains("tokenizer.tokenizer is a tokenizer artifact", message);
    }

    [Fact]
    public void Unknown_workflow_input_and_variable()
    {
        var d = Valid();
        d.FindActivity("import")!.SetInput("path", "String", Expression.Input("basemodel"));
        Assert.Contains("workflow input 'basemodel'", Single(d, ValidationCodes.UnknownWorkflowInput, "import", "Import data").Message);

        d = Valid();
        d.FindActivity("compare")!.SetInput("seed", "Int32", Expression.Variable("rounds"));
        Assert.Contains("variable 'rounds'", Single(d, ValidationCodes.UnknownVariable, "compare", "Pair them").Message);
    }

    [Fact]
    public void Reference_to_an_unknown_output_an_unknown_activity_and_a_non_upstream_activity()
    {
        var d = Valid();
        d.FindActivity("compare")!.SetInput("responses", "Artifact", Expression.Output("import", "data"));
        Assert.Contains("no output 'data'", Single(d, ValidationCodes.UnknownOutput, "compare", "Pair them").Message);

        d = Valid();
        d.FindActivity("compare")!.SetInput("responses", "Artifact", Expression.Output("sft", "dataset"));
        Assert.Contains("no activity has id 'sft'", Single(d, ValidationCodes.UnknownActivityReference, "compare", "Pair them").Message);

        d = Valid();
        var other = d.AddActivity("other", "Alignment.ImportDataset", name: "Side import");
        other.SetInput("path", "String", Expression.Literal("x.jsonl"));
        d.FindActivity("compare")!.SetInput("responses", "Artifact", Expression.Output("other", "dataset"));
        Assert.Contains("not upstream", Single(d, ValidationCodes.NotUpstream, "compare", "Pair them").Message);
    }

    [Fact]
    public void Dangling_connections_unknown_activity_and_unknown_port()
    {
        var d = Valid();
        d.Connect("compare", "nowhere");
        Assert.Contains("target activity 'nowhere' does not exist", Single(d, ValidationCodes.DanglingConnection, "compare", "Pair them").Message);

        d = Valid();
        d.Root!["connections"]!.AsArray().Clear();
        d.Connect("import", "compare", port: "True");
        Assert.Contains("no port 'True'", Single(d, ValidationCodes.DanglingConnection, "import", "Import data").Message);
    }

    [Fact]
    public void A_cycle_without_a_decision_is_an_error_and_one_with_a_decision_is_not()
    {
        var d = Valid();
        var gate = d.AddActivity("gate", "Alignment.Test.Gate", name: "Gate");
        gate.SetInput("label", "String", Expression.Literal("g"));
        d.Connect("compare", "gate");
        d.Connect("gate", "compare");
        var error = Single(d, ValidationCodes.Cycle, "compare", "Pair them");
        Assert.Contains("'gate'", error.Message);

        d.Root!["connections"]!.AsArray().RemoveAt(2);
        var decide = d.AddActivity("decide", "Elsa.FlowDecision", name: "Again?");
        decide.SetInput("condition", "Boolean", Expression.Formula("Variable:round < 3"));
        d.Connect("gate", "decide");
        d.Connect("decide", "compare", port: "True");
        Assert.Empty(Validate(d));
    }

    [Fact]
    public void Formula_errors_and_unsupported_expressions()
    {
        var d = Valid();
        var decide = d.AddActivity("decide", "Elsa.FlowDecision", name: "Check");
        decide.SetInput("condition", "Boolean", Expression.Formula("Output:compare.count >= "));
        d.Connect("compare", "decide");
        Assert.Contains("ends where a value", Single(d, ValidationCodes.FormulaSyntax, "decide", "Check").Message);

        decide.SetInput("condition", "Boolean", Expression.Formula("Output:compare.pairs >= 1"));
        Assert.Contains("no output 'pairs'", Single(d, ValidationCodes.UnknownOutput, "decide", "Check").Message);

        decide.SetInput("condition", "Boolean", new Expression(ExpressionKind.Unsupported, "JavaScript", JsonValue.Create("return true;")));
        Assert.Contains("'JavaScript'", Single(d, ValidationCodes.UnsupportedExpression, "decide", "Check").Message);
    }

    [Fact]
    public void A_missing_artifact_hash_is_reported()
    {
        using var home = new TestHome();
        var d = Valid();
        d.FindActivity("compare")!.SetInput("responses", "Artifact", Expression.Artifact("deadbeef"));
        var error = Assert.Single(home.Engine.Validate(d));
        Assert.Equal(ValidationCodes.MissingArtifact, error.Code);
        Assert.Contains("no artifact 'deadbeef'", error.Message);
    }

    [Fact]
    public void Every_error_is_reported_at_once()
    {
        var d = Valid();
        d.AddActivity("x", "Elsa.WriteLine", name: "Hello");
        d.FindActivity("compare")!.SetInput("overlap", "Int32", Expression.Literal("two"));
        d.FindActivity("import")!.Json.Remove("path");
        d.Connect("compare", "ghost");

        var codes = Validate(d).Select(e => e.Code).Order().ToList();

        Assert.Equal(new[] { ValidationCodes.DanglingConnection, ValidationCodes.MissingInput, ValidationCodes.UnknownType, ValidationCodes.WrongInputType }, codes);
        var e = Assert.Throws<WorkflowValidationException>(() => new WorkflowValidator(TestHome.Registry()).ValidateOrThrow(d, "w.json"));
        Assert.StartsWith("w.json: 4 validation errors", e.Message);
    }
}
