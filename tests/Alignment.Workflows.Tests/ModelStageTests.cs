using Alignment.Training.Datasets;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// ImportModel -> GenerateResponses -> CreateComparisons -> CollectJudgments (length judge) -> ExportPreferences
// on a tiny random chat model, deterministic under its seed.
public class ModelStageTests
{
    private static string TinyModel(string folder) =>
        DemoModel.FromCorpus(folder, Enumerable.Range(0, 100).Select(i => $"Question {i}: what is {i} plus one? Answer: {i + 1}."));

    private static WorkflowDefinition Definition(string model, string prompts)
    {
        var d = WorkflowDefinition.Create("gen-compare", "Generate and compare");
        d.AddActivity("model", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(model));
        var data = d.AddActivity("prompts", "Alignment.ImportDataset");
        data.SetInput("path", "String", Expression.Literal(prompts));
        data.SetInput("format", "String", Expression.Literal("prompts"));
        var gen = d.AddActivity("generate", "Alignment.GenerateResponses");
        gen.SetInput("model", "Artifact", Expression.Output("model", "model"));
        gen.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
        gen.SetInput("samplesPerPrompt", "Int32", Expression.Literal(2));
        gen.SetInput("maxNewTokens", "Int32", Expression.Literal(6));
        gen.SetInput("temperature", "Double", Expression.Literal(1.0));
        gen.SetInput("template", "String", Expression.Literal("chatml"));
        gen.SetInput("seed", "Int32", Expression.Literal(7));
        d.AddActivity("compare", "Alignment.CreateComparisons").SetInput("responses", "Artifact", Expression.Output("generate", "responses"));
        var judge = d.AddActivity("judge", "Alignment.CollectJudgments");
        judge.SetInput("comparisons", "Artifact", Expression.Output("compare", "comparisons"));
        judge.SetInput("judge", "String", Expression.Literal("length"));
        d.AddActivity("export", "Alignment.ExportPreferences").SetInput("judgments", "Artifact", Expression.Output("judge", "judgments"));
        d.Connect("model", "prompts");
        d.Connect("prompts", "generate");
        d.Connect("generate", "compare");
        d.Connect("compare", "judge");
        d.Connect("judge", "export");
        return d;
    }

    [Fact]
    public async Task Sampled_answers_flow_into_comparisons_and_preferences_reproducibly()
    {
        using var home = new TestHome();
        string model = TinyModel(Path.Combine(home.Folder, "tiny"));
        string prompts = Path.Combine(home.Folder, "prompts.jsonl");
        File.WriteAllLines(prompts, new[] { "{\"prompt\":\"Question 3: what is 3 plus one?\"}", "{\"prompt\":\"Question 8: what is 8 plus one?\"}", "{\"prompt\":\"Say hi\"}" });
        string path = home.Write(Definition(model, prompts));

        var first = await home.Run(path);
        Assert.Equal(InstanceStatus.Finished, first.Status);
        var outputs = home.Outputs(first.InstanceId);
        Assert.Equal(6, (double)outputs["generate"]["rows"]!);
        var responses = home.Engine.Artifacts.Get((string)outputs["generate"]["responses"]!);
        var rows = DatasetReader.ReadSft(responses.Path);
        Assert.Equal(6, rows.Count);
        Assert.All(rows, r => Assert.Equal("policy", System.Text.Json.Nodes.JsonNode.Parse(File.ReadLines(responses.Path).ElementAt(r.Line - 1))!["model"]!.GetValue<string>()));
        Assert.Equal(new[] { "Question 3: what is 3 plus one?", "Question 3: what is 3 plus one?" }, rows.Take(2).Select(r => r.Prompt!.Text));

        // Same seed, forced rerun: byte-identical responses (same artifact hash).
        var forced = await home.Run(path, force: true);
        Assert.Equal((string)outputs["generate"]["responses"]!, (string)home.Outputs(forced.InstanceId)["generate"]["responses"]!);
        var lineage = home.Engine.Artifacts.Lineage((string)outputs["export"]["preferences"]!);
        Assert.Contains(lineage, l => l.Artifact.Kind == Artifacts.ArtifactKind.Model);
    }
}
