using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Tests;

// Whole-number inputs with a declared minimum (overlap, counts, sizes): validation refuses a Literal below it, naming
// the activity and the input; a value that arrives at run time (a workflow input) faults the stage the same way.
public class InputMinimumTests
{
    private static WorkflowDefinition Compare(Expression overlap)
    {
        var d = WorkflowDefinition.Create("m", "Minimum");
        d.AddInput("overlap", "Int32", defaultValue: "1");
        var import = d.AddActivity("import", "Alignment.ImportDataset", name: "Import data");
        import.SetInput("path", "String", Expression.Literal(TestHome.DemoResponses));
        import.SetInput("format", "String", Expression.Literal("responses"));
        var compare = d.AddActivity("compare", "Alignment.CreateComparisons", name: "Pair them");
        compare.SetInput("responses", "Artifact", Expression.Output("import", "dataset"));
        compare.SetInput("overlap", "Int32", overlap);
        d.Connect("import", "compare");
        return d;
    }

    [Theory]
    [InlineData(-5)]
    [InlineData(0)]
    public void A_literal_below_the_minimum_is_a_validation_error_naming_activity_and_input(int overlap)
    {
        var error = Assert.Single(new WorkflowValidator(TestHome.Registry()).Validate(Compare(Expression.Literal(overlap))));
        Assert.Equal(ValidationCodes.OutOfRange, error.Code);
        Assert.Equal("compare", error.ActivityId);
        Assert.Contains("'Pair them'", error.Message);
        Assert.Contains($"input 'overlap' must be at least 1, got {overlap}", error.Message);
    }

    [Fact]
    public void Every_non_negative_count_and_size_declares_a_minimum()
    {
        var registry = TestHome.Registry();
        foreach (var (type, input, minimum) in new[]
                 {
                     ("Alignment.CreateComparisons", "overlap", 1L), ("Alignment.CreateComparisons", "pairsPerPrompt", 1L),
                     ("Alignment.GenerateResponses", "samplesPerPrompt", 1L), ("Alignment.BestOfN", "n", 1L),
                     ("Alignment.Sft", "batchSize", 1L), ("Alignment.Dpo", "maxSteps", 0L), ("Alignment.Ppo", "maxNewTokens", 1L),
                     ("Alignment.CreateModel", "layers", 1L), ("Alignment.TrainTokenizer", "minFrequency", 1L),
                 })
            Assert.Equal(minimum, registry.Find(type, 1)!.Descriptor.FindInput(input)!.Minimum);
    }

    [Fact]
    public async Task A_value_below_the_minimum_given_at_run_time_faults_the_stage_naming_the_input()
    {
        using var home = new TestHome();
        string path = home.Write(Compare(Expression.Input("overlap")));
        Assert.Empty(home.Engine.Validate(DefinitionSerializer.Load(path)));
        var result = await home.Run(path, new Dictionary<string, string> { ["overlap"] = "-5" });
        Assert.Equal(InstanceStatus.Faulted, result.Status);
        Assert.Contains("input 'overlap' must be at least 1, got -5", result.Message);
        Assert.Contains("'compare'", result.Message);
    }
}
