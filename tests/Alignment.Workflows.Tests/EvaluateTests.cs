using System.Text.Json.Nodes;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

public class EvaluateTests
{
    [Fact]
    public void Wilson_interval_matches_the_published_value()
    {
        // 8 successes in 10 (here 7 wins + 2 ties counting half): Wilson 95% interval 0.490 – 0.943 (Newcombe 1998, Table I style).
        var w = WinRate.From(7, 2, 1);
        Assert.Equal(0.8, w.Rate, 12);
        Assert.Equal(0.4902, w.Low, 4);
        Assert.Equal(0.9433, w.High, 4);
        var all = WinRate.From(10, 0, 0);
        Assert.Equal(1.0, all.High, 12);
        Assert.Equal(0.7225, all.Low, 4);   // Wilson lower bound for 10/10
    }

    private static string TinyModel(string folder, ulong seed) =>
        DemoModel.FromCorpus(folder, Enumerable.Range(0, 100).Select(i => $"Question {i}: what is {i} plus one? Answer: {i + 1}."), seed);

    private static WorkflowDefinition Definition(string policy, string baseline, string prompts)
    {
        var d = WorkflowDefinition.Create("eval", "Evaluate");
        d.AddActivity("policy", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(policy));
        d.AddActivity("baseline", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(baseline));
        var data = d.AddActivity("prompts", "Alignment.ImportDataset");
        data.SetInput("path", "String", Expression.Literal(prompts));
        data.SetInput("format", "String", Expression.Literal("prompts"));
        var eval = d.AddActivity("eval", "Alignment.Evaluate");
        eval.SetInput("policy", "Artifact", Expression.Output("policy", "model"));
        eval.SetInput("baseline", "Artifact", Expression.Output("baseline", "model"));
        eval.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
        eval.SetInput("judge", "String", Expression.Literal("length"));
        eval.SetInput("template", "String", Expression.Literal("chatml"));
        eval.SetInput("maxNewTokens", "Int32", Expression.Literal(8));
        d.Connect("policy", "baseline");
        d.Connect("baseline", "prompts");
        d.Connect("prompts", "eval");
        return d;
    }

    [Fact]
    public async Task A_model_against_itself_ties_everywhere_with_zero_kl()
    {
        using var home = new TestHome();
        string model = TinyModel(Path.Combine(home.Folder, "m"), 3);
        string prompts = Path.Combine(home.Folder, "p.jsonl");
        File.WriteAllLines(prompts, Enumerable.Range(0, 6).Select(i => $"{{\"prompt\":\"Question {i}: what is {i} plus one?\"}}"));
        var result = await home.Run(home.Write(Definition(model, model, prompts)));
        Assert.Equal(InstanceStatus.Finished, result.Status);
        var o = home.Outputs(result.InstanceId)["eval"];
        Assert.Equal(0.5, (double)o["winRate"]!, 12);
        Assert.Equal(0.0, (double)o["kl"]!, 9);
        Assert.Equal(-1.0, (double)o["rewardAccuracy"]!);
        var report = home.Engine.Artifacts.Get((string)o["report"]!);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(report.Path, "report.json")))!;
        Assert.Equal(6, (int)json["ties"]!);
        Assert.Contains("# Evaluation report", File.ReadAllText(Path.Combine(report.Path, "report.md")));
    }

    [Fact]
    public async Task Win_rate_agrees_with_the_recorded_outcomes_of_two_different_models()
    {
        using var home = new TestHome();
        string a = TinyModel(Path.Combine(home.Folder, "a"), 3), b = TinyModel(Path.Combine(home.Folder, "b"), 4);
        string prompts = Path.Combine(home.Folder, "p.jsonl");
        File.WriteAllLines(prompts, Enumerable.Range(0, 8).Select(i => $"{{\"prompt\":\"Question {i}: what is {i} plus one?\"}}"));
        var result = await home.Run(home.Write(Definition(a, b, prompts)));
        var o = home.Outputs(result.InstanceId)["eval"];
        var report = home.Engine.Artifacts.Get((string)o["report"]!);
        var rows = File.ReadAllLines(Path.Combine(report.Path, "answers.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(8, rows.Count);
        // The length judge prefers the shorter answer that is not empty; recount from the recorded answers.
        double wins = rows.Count(r => (string)r["outcome"]! == "policy"), ties = rows.Count(r => (string)r["outcome"]! == "tie");
        Assert.Equal((wins + ties / 2) / 8, (double)o["winRate"]!, 12);
        var w = WinRate.From((int)wins, (int)ties, 8 - (int)wins - (int)ties);
        Assert.Equal(w.Low, (double)o["winRateLow"]!, 12);
        Assert.NotEqual(0.0, (double)o["kl"]!);
    }
}
