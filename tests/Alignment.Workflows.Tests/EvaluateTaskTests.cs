using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// With a rules judge, Evaluate reports the task metric: per-rule hit rates and the mean rule score of both sides,
// recounted here from the answers it recorded.
public class EvaluateTaskTests
{
    [Fact]
    public async Task Task_scores_and_rule_rates_agree_with_a_recount_of_the_recorded_answers()
    {
        using var home = new TestHome();
        string a = DemoModel.Create(Path.Combine(home.Folder, "a"), seed: 3), b = DemoModel.Create(Path.Combine(home.Folder, "b"), seed: 4);
        var questions = Enumerable.Range(0, 8).Select(i => (Prompt: $"What is {i} plus {i % 3}?", Sum: i + i % 3)).ToList();
        string prompts = Path.Combine(home.Folder, "p.jsonl");
        File.WriteAllLines(prompts, questions.Select(q => $"{{\"prompt\":\"{q.Prompt}\"}}"));
        File.WriteAllLines(Path.Combine(home.Folder, "refs.jsonl"), questions.Select(q => $"{{\"prompt\":\"{q.Prompt}\",\"reference\":\"{q.Sum}\"}}"));
        string rules = Path.Combine(home.Folder, "rules.json");
        File.WriteAllText(rules, """
            { "references": "refs.jsonl",
              "rules": [ { "name": "right", "matchesReference": true, "score": 3 },
                         { "name": "has is", "contains": " is ", "score": 1 },
                         { "name": "short", "maxLength": 12, "score": -0.5 } ] }
            """);

        var d = WorkflowDefinition.Create("eval-task", "Evaluate with rules");
        d.AddActivity("policy", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(a));
        d.AddActivity("baseline", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(b));
        var data = d.AddActivity("prompts", "Alignment.ImportDataset");
        data.SetInput("path", "String", Expression.Literal(prompts));
        data.SetInput("format", "String", Expression.Literal("prompts"));
        var eval = d.AddActivity("eval", "Alignment.Evaluate");
        eval.SetInput("policy", "Artifact", Expression.Output("policy", "model"));
        eval.SetInput("baseline", "Artifact", Expression.Output("baseline", "model"));
        eval.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
        eval.SetInput("judge", "String", Expression.Literal("rules"));
        eval.SetInput("rules", "String", Expression.Literal(rules));
        eval.SetInput("template", "String", Expression.Literal("chatml"));
        eval.SetInput("maxNewTokens", "Int32", Expression.Literal(10));
        d.Connect("policy", "baseline");
        d.Connect("baseline", "prompts");
        d.Connect("prompts", "eval");
        var result = await home.Run(home.Write(d));
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);

        var o = home.Outputs(result.InstanceId)["eval"];
        string dir = home.Engine.Artifacts.Get((string)o["report"]!).Path;
        var rows = File.ReadAllLines(Path.Combine(dir, "answers.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        var sums = questions.ToDictionary(q => q.Prompt, q => q.Sum.ToString());
        // The recount: plain string tests written out here, not the judge's code.
        (double Score, bool[] Hits) Recount(string prompt, string answer)
        {
            bool right = Regex.IsMatch(answer, $@"(?<![\p{{L}}\p{{N}}]){sums[prompt]}(?![\p{{L}}\p{{N}}])");
            bool hasIs = answer.Contains(" is ", StringComparison.OrdinalIgnoreCase);
            bool isShort = answer.Length <= 12;
            return ((right ? 3 : 0) + (hasIs ? 1 : 0) + (isShort ? -0.5 : 0), [right, hasIs, isShort]);
        }
        var policy = rows.Select(r => Recount((string)r["prompt"]!, (string)r["policy"]!)).ToList();
        var baseline = rows.Select(r => Recount((string)r["prompt"]!, (string)r["baseline"]!)).ToList();

        Assert.Equal(policy.Average(p => p.Score), (double)o["taskScore"]!, 12);
        Assert.Equal(baseline.Average(p => p.Score), (double)o["baselineTaskScore"]!, 12);
        var task = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!["task"]!;
        Assert.Equal((double)o["taskScore"]!, (double)task["policyScore"]!, 12);
        Assert.Equal((double)o["baselineTaskScore"]!, (double)task["baselineScore"]!, 12);
        var named = task["rules"]!.AsArray();
        Assert.Equal(["right", "has is", "short"], named.Select(r => (string)r!["name"]!));
        Assert.Equal([3.0, 1.0, -0.5], named.Select(r => (double)r!["score"]!));
        for (int r = 0; r < 3; r++)
        {
            Assert.Equal(policy.Count(p => p.Hits[r]) / 8.0, (double)named[r]!["policyRate"]!, 12);
            Assert.Equal(baseline.Count(p => p.Hits[r]) / 8.0, (double)named[r]!["baselineRate"]!, 12);
        }
    }
}
