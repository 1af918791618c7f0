using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Tests;

// The shipped model workflows run unattended (scripted rules judge) on the demo data and a random tiny model.
public class ShippedWorkflowTests
{
    private static string Shipped(string name) => Path.Combine(TestHome.RepoRoot, "workflows", name);

    private static async Task<(TestHome home, RunResult result, Dictionary<string, JsonObject> outputs)> RunShipped(string name, Dictionary<string, string>? extra = null)
    {
        var home = new TestHome();
        var inputs = new Dictionary<string, string> { ["model"] = DemoModel.Create(Path.Combine(home.Folder, "base")) };
        foreach (var (k, v) in extra ?? []) inputs[k] = v;
        var result = await home.Run(Shipped(name), inputs);
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        return (home, result, home.Outputs(result.InstanceId));
    }

    [Theory]
    [InlineData("sft-dpo.json")]
    [InlineData("rlhf-ppo.json")]
    [InlineData("iterative-dpo.json")]
    [InlineData("upft.json")]
    public void Shipped_definitions_validate_and_are_laid_out_left_to_right(string name)
    {
        var definition = Definitions.DefinitionSerializer.Load(Shipped(name));
        Assert.Empty(new WorkflowValidator(TestHome.Registry()).Validate(definition));
        var x = definition.Activities.ToDictionary(a => a.Id!, a => (double)a.Json["metadata"]!["designer"]!["position"]!["x"]!);
        foreach (var c in definition.Connections.Where(c => c.SourcePort != "False"))
            Assert.True(x[c.SourceActivity!] <= x[c.TargetActivity!], $"{c.SourceActivity} -> {c.TargetActivity} points left");
    }

    [Fact]
    public async Task Sft_dpo_runs_unattended_and_its_report_traces_back_to_the_base_model()
    {
        var (home, _, o) = await RunShipped("sft-dpo.json");
        using var _home = home;
        var store = home.Engine.Artifacts;
        Assert.Equal(4.0, (double)o["sft"]["steps"]!);
        Assert.True((double)o["export"]["pairs"]! > 0);
        var policy = store.Get((string)o["dpo"]["model"]!);
        Assert.Equal(ArtifactKind.Model, policy.Kind);
        Assert.Equal(ArtifactKind.RefLogps, store.Get((string)o["dpo"]["refLogps"]!).Kind);
        Assert.Equal(2, File.ReadAllLines(store.Get((string)o["dpo"]["metrics"]!).Path).Length);
        Assert.InRange((double)o["dpo"]["rewardAccuracy"]!, 0, 1);
        Assert.InRange((double)o["evaluate"]["winRate"]!, 0, 1);

        var lineage = store.Lineage((string)o["evaluate"]["report"]!);
        Assert.Contains(lineage, l => l.Artifact.Hash == policy.Hash && l.ViaInput == "policy");
        Assert.Contains(lineage, l => l.Artifact.Hash == (string)o["sft"]["model"]! && l.ViaInput == "baseline");
        Assert.Contains(lineage, l => l.Artifact.Hash == (string)o["export"]["preferences"]!);
        Assert.Contains(lineage, l => l.Artifact.Hash == (string)o["model"]["model"]!);   // the imported base model, upstream of SFT

        // Every stage is seeded: a forced rerun trains the same policy from the same judgments.
        var inputs = new Dictionary<string, string> { ["model"] = Path.Combine(home.Folder, "base") };
        var again = home.Outputs((await home.Run(Shipped("sft-dpo.json"), inputs, force: true)).InstanceId);
        foreach (var (activity, output) in new[] { ("sft", "model"), ("export", "preferences"), ("dpo", "model"), ("dpo", "refLogps"), ("dpo", "metrics") })
            Assert.Equal((string)o[activity][output]!, (string)again[activity][output]!);
    }

    [Fact]
    public async Task Rlhf_ppo_trains_a_reward_model_and_a_ppo_policy_unattended()
    {
        var (home, _, o) = await RunShipped("rlhf-ppo.json");
        using var _home = home;
        var store = home.Engine.Artifacts;
        var rm = store.Get((string)o["rm"]["rewardModel"]!);
        Assert.Equal(ArtifactKind.RewardModel, rm.Kind);
        Assert.InRange((double)o["rm"]["accuracy"]!, 0, 1);
        var ppo = store.Get((string)o["ppo"]["model"]!);
        Assert.True(double.IsFinite((double)o["ppo"]["meanScore"]!));
        Assert.True(double.IsFinite((double)o["ppo"]["kl"]!));
        Assert.Equal(2, File.ReadAllLines(store.Get((string)o["ppo"]["metrics"]!).Path).Length);
        var lineage = store.Lineage(ppo.Hash);
        Assert.Contains(lineage, l => l.Artifact.Hash == rm.Hash && l.ViaInput == "rewardModel");
        Assert.Contains(lineage, l => l.Artifact.Hash == (string)o["sft"]["model"]! && l.ViaInput == "model");
        Assert.InRange((double)o["evaluate"]["winRate"]!, 0, 1);

        var inputs = new Dictionary<string, string> { ["model"] = Path.Combine(home.Folder, "base") };
        var again = home.Outputs((await home.Run(Shipped("rlhf-ppo.json"), inputs, force: true)).InstanceId);
        Assert.Equal(rm.Hash, (string)again["rm"]["rewardModel"]!);
        Assert.Equal(ppo.Hash, (string)again["ppo"]["model"]!);
    }

    [Fact]
    public async Task Iterative_dpo_trains_each_round_on_the_previous_rounds_policy_until_the_round_limit()
    {
        var (home, result, o) = await RunShipped("iterative-dpo.json", new() { ["targetWinRate"] = "1.01", ["maxRounds"] = "2" });
        using var _home = home;
        var runs = home.Engine.Detail(result.InstanceId).Executions;
        var dpo = runs.Where(e => e.ActivityId == "dpo").ToList();
        Assert.Equal([1, 2], dpo.Select(e => e.Iteration));
        Assert.Equal(["False", "True"], runs.Where(e => e.ActivityId == "decide").Select(e => (string)e.Outputs!["ports"]![0]!));
        string first = (string)dpo[0].Outputs!["model"]!, second = (string)dpo[1].Outputs!["model"]!;
        Assert.NotEqual(first, second);
        // Round 2 started from round 1's policy: its DPO model descends from the first round's.
        Assert.Contains(home.Engine.Artifacts.Lineage(second), l => l.Artifact.Hash == first && l.ViaInput == "model");
        var exported = home.Engine.Artifacts.Get((string)o["exportModel"]["model"]!);
        Assert.Contains(home.Engine.Artifacts.Lineage(exported.Hash), l => l.Artifact.Hash == second);
    }

    [Theory]
    [InlineData("full", ArtifactKind.Model)]
    [InlineData("prefix_tuning", ArtifactKind.Adapter)]
    public async Task Upft_samples_trains_on_prefixes_and_stores_the_model_or_adapter(string finetuning, ArtifactKind kind)
    {
        var (home, result, o) = await RunShipped("upft.json", new() { ["finetuning"] = finetuning, ["prefixLength"] = "3", ["fullAnswerRatio"] = "0.25" });
        using var _home = home;
        var store = home.Engine.Artifacts;
        Assert.Equal(4.0, (double)o["upft"]["steps"]!);
        Assert.True(double.IsFinite((double)o["upft"]["finalLoss"]!));
        var output = kind == ArtifactKind.Model ? "model" : "adapter";
        var trained = store.Get((string)o["upft"][output]!);
        Assert.Equal(kind, trained.Kind);
        Assert.Null(o["upft"][kind == ArtifactKind.Model ? "adapter" : "model"]);
        Assert.Equal(4, File.ReadAllLines(store.Get((string)o["upft"]["metrics"]!).Path).Length);
        Assert.False(File.Exists(Path.Combine(trained.Path, "upft_samples.jsonl")));   // run files stay out of the artifact
        if (kind == ArtifactKind.Adapter) Assert.True(File.Exists(Path.Combine(trained.Path, "adapter_config.json")));
        Assert.Contains(store.Lineage(trained.Hash), l => l.Artifact.Hash == (string)o["model"]["model"]! && l.ViaInput == "model");
        var upft = home.Engine.Detail(result.InstanceId).Executions.Single(e => e.ActivityId == "upft");
        Assert.Equal(3, (int)upft.Parameters!["prefixLength"]!);
    }

    [Fact]
    public async Task Sft_dpo_with_a_reference_free_loss_stores_no_reference_log_probs()
    {
        var (home, result, o) = await RunShipped("sft-dpo.json", new() { ["lossType"] = "simpo", ["beta"] = "2.0" });
        using var _home = home;
        Assert.Null(o["dpo"]["refLogps"]);
        Assert.Equal(ArtifactKind.Model, home.Engine.Artifacts.Get((string)o["dpo"]["model"]!).Kind);
        var dpo = home.Engine.Detail(result.InstanceId).Executions.Single(e => e.ActivityId == "dpo");
        Assert.Equal("simpo", (string)dpo.Parameters!["lossType"]!);
    }

    [Fact]
    public async Task A_workflow_input_given_as_text_that_is_not_a_number_faults_the_formula_naming_the_input()
    {
        using var home = new TestHome();
        var inputs = new Dictionary<string, string>
        {
            ["model"] = DemoModel.Create(Path.Combine(home.Folder, "base")), ["targetWinRate"] = "high", ["maxRounds"] = "1",
        };
        var result = await home.Run(Shipped("iterative-dpo.json"), inputs);
        Assert.Equal(InstanceStatus.Faulted, result.Status);
        Assert.Contains("workflow input 'targetWinRate': expected a number, got \"high\"", result.Message);
    }

    [Fact]
    public void Align_run_takes_the_base_model_as_an_input_and_finishes_with_the_demo_defaults()
    {
        using var home = new TestHome();
        string model = DemoModel.Create(Path.Combine(home.Folder, "base"));
        var output = new StringWriter();
        var error = new StringWriter();
        int code = Alignment.Cli.AlignApp.Run(["run", Shipped("sft-dpo.json"), "--input", $"model={model}", "--home", home.Home], output, error);
        Assert.True(code == 0, error.ToString() + output);
        string id = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)[0].Trim();
        Assert.Equal(InstanceStatus.Finished, home.Engine.Detail(id).Instance.Status);
    }
}
