using System.Net;
using System.Text.Json.Nodes;
using Alignment.Data.Projects;
using Alignment.LabelingUi.Tests.Infrastructure;
using Alignment.LabelingUi.Tests.Runs;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Tests.Api;

// Evaluate with judge=human: the instance suspends on a blind A/B project of policy-vs-baseline answers; two annotators
// judge through the labeling REST API (overlap 2); after the second the resumed instance finishes, and its human win
// rate equals a recount of what the annotators chose, mapped to policy/baseline through the report's answers.jsonl.
public class HumanEvaluationTests
{
    private const int Prompts = 10;

    /// <summary>An annotator's rule, on what they are shown only: each answer scores its character codes' sum mod 3; the
    /// higher score wins; equal scores are both bad when the lengths sum to an odd number, else a tie. Symmetric, so both
    /// annotators give every comparison the same verdict whichever side they saw each answer on.</summary>
    private static string Decide(string left, string right)
    {
        int l = left.Sum(c => c) % 3, r = right.Sum(c => c) % 3;
        return l != r ? (l > r ? "left" : "right") : (left.Length + right.Length) % 2 == 1 ? "both_bad" : "tie";
    }

    private static string Definition(string folder, string policy, string baseline)
    {
        string prompts = Path.Combine(folder, "prompts.jsonl");
        File.WriteAllLines(prompts, Enumerable.Range(0, Prompts).Select(i => $"{{\"prompt\":\"What is {i % 7} plus {i / 3}?\"}}"));
        var d = WorkflowDefinition.Create("eval-human", "Blind human evaluation");
        d.AddActivity("policy", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(policy));
        d.AddActivity("baseline", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(baseline));
        var data = d.AddActivity("prompts", "Alignment.ImportDataset");
        data.SetInput("path", "String", Expression.Literal(prompts));
        data.SetInput("format", "String", Expression.Literal("prompts"));
        var eval = d.AddActivity("eval", "Alignment.Evaluate");
        eval.SetInput("policy", "Artifact", Expression.Output("policy", "model"));
        eval.SetInput("baseline", "Artifact", Expression.Output("baseline", "model"));
        eval.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
        eval.SetInput("judge", "String", Expression.Literal("human"));
        eval.SetInput("humanOverlap", "Int32", Expression.Literal(2));
        eval.SetInput("rules", "String", Expression.Literal(RunFixtures.RepoFile("data", "workflow-demo", "judge-rules.json")));
        eval.SetInput("template", "String", Expression.Literal("chatml"));
        eval.SetInput("maxNewTokens", "Int32", Expression.Literal(6));
        eval.SetInput("klSamples", "Int32", Expression.Literal(0));
        eval.SetInput("seed", "Int32", Expression.Literal(5));
        d.Connect("policy", "baseline");
        d.Connect("baseline", "prompts");
        d.Connect("prompts", "eval");
        string path = Path.Combine(folder, "workflow.json");
        DefinitionSerializer.Save(d, path);
        return path;
    }

    /// <summary>One vote as the test saw it: the prompt, the two texts in the shown order, and the choice.</summary>
    private sealed record Seen(string Prompt, string Left, string Right, string Choice);

    /// <summary>Judges everything the annotator is served; every body the annotator receives is added to <paramref name="bodies"/>.</summary>
    private static async Task<List<Seen>> JudgeAll(HttpClient api, long projectId, List<string> bodies)
    {
        var seen = new List<Seen>();
        bodies.Add(await (await api.GetAsync("/api/projects")).Content.ReadAsStringAsync());
        while (true)
        {
            var next = await api.GetAsync($"/api/projects/{projectId}/next");
            if (next.StatusCode == HttpStatusCode.NoContent) break;
            Assert.Equal(HttpStatusCode.OK, next.StatusCode);
            string body = await next.Content.ReadAsStringAsync();
            bodies.Add(body);
            var item = JsonNode.Parse(body)!;
            string left = (string)item["left"]!, right = (string)item["right"]!;
            string choice = Decide(left, right);
            object vote = choice switch { "left" => new { choice, strength = -2 }, "right" => new { choice, strength = 2 }, _ => (object)new { choice, strength = 0 } };
            var stored = await api.PostJson($"/api/assignments/{(long)item["assignment_id"]!}/judgment", vote);
            Assert.Equal(HttpStatusCode.Created, stored.StatusCode);
            bodies.Add(await stored.Content.ReadAsStringAsync());
            seen.Add(new Seen((string)item["prompt"]!, left, right, choice));
        }
        bodies.Add(await (await api.GetAsync($"/api/projects/{projectId}/progress")).Content.ReadAsStringAsync());
        return seen;
    }

    [Fact]
    public async Task Blind_human_evaluation_through_the_api_finishes_with_the_recounted_win_rate()
    {
        using var app = new LabelingFactory();
        string folder = Path.Combine(app.Home, "fixtures");
        Directory.CreateDirectory(folder);
        string policy = RunFixtures.TinyChatModel(Path.Combine(folder, "policy-model"), seed: 3);
        string baseline = RunFixtures.TinyChatModel(Path.Combine(folder, "baseline-model"), seed: 4);
        var engine = new WorkflowEngine(app.Home, ActivityRegistry.CreateBuiltIn());
        string workflow = Definition(folder, policy, baseline);

        var first = await engine.RunAsync(engine.Start(workflow, new Dictionary<string, string>()));
        Assert.True(first.Status == InstanceStatus.Suspended, first.Message);
        var bookmark = Assert.Single(engine.Detail(first.InstanceId).Bookmarks);
        Assert.Equal("judgments", bookmark.Kind);
        var project = app.Service<ProjectService>().GetByName((string)bookmark.Payload["project"]!);
        Assert.Equal(project.Id, (long)bookmark.Payload["projectId"]!);
        Assert.Equal(0, (int)bookmark.Payload["complete"]!);
        int comparisons = (int)bookmark.Payload["comparisons"]!;
        Assert.InRange(comparisons, 1, Prompts);
        Assert.Equal(2, project.OverlapK);

        var bodies = new List<string>();
        var alice = await JudgeAll(app.Api(app.Token("alice")), project.Id, bodies);
        Assert.Equal(comparisons, alice.Count);

        // One judgment each is not the quorum of 2: the rerun stage finds the same project and waits again.
        var second = await engine.ResumeAsync(first.InstanceId);
        Assert.True(second.Status == InstanceStatus.Suspended, second.Message);
        Assert.Equal(project.Id, (long)Assert.Single(engine.Detail(first.InstanceId).Bookmarks).Payload["projectId"]!);
        Assert.Single(app.Service<ProjectService>().List());

        var bob = await JudgeAll(app.Api(app.Token("bob")), project.Id, bodies);
        Assert.Equal(comparisons, bob.Count);
        var done = await engine.ResumeAsync(first.InstanceId);
        Assert.True(done.Status == InstanceStatus.Finished, done.Message);
        Assert.Empty(engine.Detail(first.InstanceId).Bookmarks);
        Assert.Single(app.Service<ProjectService>().List());

        // Annotators were never told which model wrote which answer.
        foreach (string body in bodies)
        {
            Assert.DoesNotContain("policy", body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("baseline", body, StringComparison.OrdinalIgnoreCase);
        }

        // Recount: the report's answers.jsonl says which text is the policy's; each prompt's two votes agree (Decide is symmetric).
        var outputs = engine.Detail(first.InstanceId).Executions.Last(e => e.ActivityId == "eval").Outputs!;
        string reportDir = engine.Artifacts.Get((string)outputs["report"]!).Path;
        var answers = File.ReadAllLines(Path.Combine(reportDir, "answers.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(Prompts, answers.Count);
        int wins = 0, ties = 0, losses = 0, bothBad = 0, policyVotes = 0, baselineVotes = 0, tieVotes = 0;
        foreach (var a in answers)
        {
            string prompt = (string)a["prompt"]!, p = (string)a["policy"]!, b = (string)a["baseline"]!;
            if (p.Length == 0) p = "(empty answer)";
            if (b.Length == 0) b = "(empty answer)";
            var votes = alice.Concat(bob).Where(s => s.Prompt == prompt && (s.Left, s.Right) == (p, b) || s.Prompt == prompt && (s.Left, s.Right) == (b, p)).ToList();
            if (p == b)
            {
                Assert.Empty(votes);   // the same answer twice is not shown
                ties++;
                continue;
            }
            Assert.Equal(2, votes.Count);
            var winners = votes.Select(v => v.Choice switch { "left" => v.Left == p ? "policy" : "baseline", "right" => v.Right == p ? "policy" : "baseline", var c => c }).Distinct().ToList();
            string verdict = Assert.Single(winners);
            if (verdict == "policy") { wins++; policyVotes += 2; }
            else if (verdict == "baseline") { losses++; baselineVotes += 2; }
            else { ties++; tieVotes += 2; bothBad += verdict == "both_bad" ? 1 : 0; }
        }
        Assert.Equal(alice.Count + bob.Count, policyVotes + baselineVotes + tieVotes);

        double expected = (wins + ties / 2.0) / Prompts;
        Assert.Equal(expected, (double)outputs["winRate"]!, 12);
        var report = JsonNode.Parse(File.ReadAllText(Path.Combine(reportDir, "report.json")))!;
        var human = report["human"]!;
        Assert.Equal("human", (string)report["judge"]!);
        Assert.Equal(expected, (double)human["win_rate"]!, 12);
        Assert.Equal([wins, ties, losses, bothBad], new[] { (int)human["wins"]!, (int)human["ties"]!, (int)human["losses"]!, (int)human["both_bad"]! });
        Assert.Equal(alice.Count + bob.Count, (int)human["judgments"]!);
        // Wilson 95% interval by hand.
        const double z = 1.959963984540054;
        double n = Prompts, centre = (expected + z * z / (2 * n)) / (1 + z * z / n);
        double half = z * Math.Sqrt(expected * (1 - expected) / n + z * z / (4 * n * n)) / (1 + z * z / n);
        Assert.Equal(Math.Max(0, centre - half), (double)outputs["winRateLow"]!, 12);
        Assert.Equal(Math.Min(1, centre + half), (double)outputs["winRateHigh"]!, 12);

        // Bradley–Terry of two models in closed form: with the leaderboard's 0.5 prior tie, P(policy) = (votes won + ties/2 + 0.25) / (votes + 0.5),
        // and the rating gap on the Elo scale is 400·log10(P / (1 − P)).
        var board = ((JsonArray)human["leaderboard"]!).Select(e => e!).ToDictionary(e => (string)e["model"]!);
        Assert.Equal(["baseline", "policy"], board.Keys.Order());
        Assert.Equal(policyVotes, (int)board["policy"]["wins"]!);
        Assert.Equal(baselineVotes, (int)board["policy"]["losses"]!);
        Assert.Equal(tieVotes, (int)board["policy"]["ties"]!);
        double share = (policyVotes + tieVotes / 2.0 + 0.25) / (alice.Count + bob.Count + 0.5);
        Assert.Equal(400 * Math.Log10(share / (1 - share)), (double)board["policy"]["rating"]! - (double)board["baseline"]["rating"]!, 6);

        // The rules still report beside the human verdicts, and report.md has the section.
        Assert.NotNull(report["task"]);
        string md = File.ReadAllText(Path.Combine(reportDir, "report.md"));
        Assert.Contains("## Human judgments", md);
        Assert.Contains($"| wins / ties / losses | {wins} / {ties} / {losses} |", md);
        Assert.Equal(comparisons, File.ReadAllLines(Path.Combine(reportDir, "human-judgments.jsonl")).Length);
    }
}
