using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// A sampled model may stop at once: CreateComparisons leaves empty answers out instead of failing the run.
public class EmptyAnswerTests
{
    [Fact]
    public async Task Empty_answers_are_left_out_of_the_comparisons()
    {
        using var home = new TestHome();
        string responses = home.Write("""
            {"prompt": "p1", "completion": "one", "model": "m"}
            {"prompt": "p1", "completion": "", "model": "m"}
            {"prompt": "p1", "completion": "two", "model": "m"}
            {"prompt": "p2", "completion": "   ", "model": "m"}
            {"prompt": "p2", "completion": "three", "model": "m"}
            {"prompt": "p2", "completion": "four", "model": "m"}
            """, "responses.jsonl");
        // Straight into the store, as GenerateResponses would write it (ImportDataset refuses empty completions).
        string temp = home.Engine.Artifacts.NewTempPath();
        File.Copy(responses, temp);
        var dataset = home.Engine.Artifacts.Ingest(temp, Artifacts.ArtifactKind.Dataset, new Artifacts.ArtifactProvenance(null, null, [], []));
        var d = WorkflowDefinition.Create("empty", "Empty answers");
        d.AddActivity("compare", "Alignment.CreateComparisons").SetInput("responses", "Artifact", Expression.Artifact(dataset.Hash));
        var run = await home.Run(home.Write(d));
        Assert.True(run.Status == InstanceStatus.Finished, run.Message);
        // Two non-empty answers per prompt: one pair each (with the empty ones it would be three each).
        Assert.Equal(2.0, (double)home.Outputs(run.InstanceId)["compare"]["count"]!);
        Assert.Contains("2 empty answers left out", home.Engine.Detail(run.InstanceId).Executions.Single(e => e.ActivityId == "compare").Log);
    }
}
