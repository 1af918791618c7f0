using System.Text.Json.Nodes;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// Editing the judge's rule file must re-judge: CollectJudgments and everything after it run again, and the earlier
// verdicts no longer count (they used to stay, so the "re-run" exported the old preferences from the cache's point of view).
public sealed class RuleFileEditTests
{
    [Fact]
    public async Task Editing_the_rule_file_reruns_the_judge_and_everything_after_it_with_the_new_verdicts()
    {
        using var home = new TestHome();
        string rules = Path.Combine(home.Folder, "rules.json");
        File.Copy(TestHome.DemoRules, rules);
        var definition = JsonNode.Parse(File.ReadAllText(TestHome.RoundTripWorkflow))!.AsObject();
        var judge = definition["root"]!["activities"]!.AsArray().Single(a => (string)a!["id"]! == "judge")!;
        judge["rules"]!["expression"]!["value"] = rules;
        string workflow = home.Write(definition.ToJsonString());
        var inputs = new Dictionary<string, string> { ["responses"] = TestHome.DemoResponses };
        const string refusal = "I can't help with cooking questions.";

        var first = await home.Run(workflow, inputs);
        Assert.Equal(InstanceStatus.Finished, first.Status);
        var before = Preferences(home, first.InstanceId);
        Assert.Contains(before, p => p.Rejected == refusal);   // refusing scores −3: it loses
        Assert.DoesNotContain(before, p => p.Chosen == refusal);

        // Now refusing is worth +10: every pair with the refusal must flip.
        File.WriteAllText(rules, File.ReadAllText(rules).Replace("\"score\": -3", "\"score\": 10"));
        var second = await home.Run(workflow, inputs);
        Assert.Equal(InstanceStatus.Finished, second.Status);
        var statuses = home.Engine.Detail(second.InstanceId).Executions.ToDictionary(e => e.ActivityId, e => e.Status.ToCode());
        Assert.Equal(("cached", "cached", "completed", "completed"), (statuses["import"], statuses["compare"], statuses["judge"], statuses["export"]));
        var after = Preferences(home, second.InstanceId);
        Assert.Contains(after, p => p.Chosen == refusal);
        Assert.DoesNotContain(after, p => p.Rejected == refusal);

        // One active vote per comparison (overlap 1), all by the new judge, none by the old one.
        var votes = File.ReadAllLines(home.Engine.Artifacts.PathOf((string)home.Outputs(second.InstanceId)["judge"]["judgments"]!))
            .Select(l => JsonNode.Parse(l)!["votes"]!.AsArray()).ToList();
        Assert.All(votes, v => Assert.Single(v));
        var oldNames = File.ReadAllLines(home.Engine.Artifacts.PathOf((string)home.Outputs(first.InstanceId)["judge"]["judgments"]!))
            .SelectMany(l => JsonNode.Parse(l)!["votes"]!.AsArray()).Select(v => (string)v!["annotator"]!).ToHashSet();
        Assert.DoesNotContain(votes.SelectMany(v => v), v => oldNames.Contains((string)v!["annotator"]!));
    }

    private static List<(string Chosen, string Rejected)> Preferences(TestHome home, string instance) =>
        File.ReadAllLines(home.Engine.Artifacts.PathOf((string)home.Outputs(instance)["export"]["preferences"]!))
            .Select(l => JsonNode.Parse(l)!).Select(p => ((string)p["chosen"]!, (string)p["rejected"]!)).ToList();
}
