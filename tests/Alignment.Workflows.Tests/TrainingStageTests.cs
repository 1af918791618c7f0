using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Cli.Runtime;
using Alignment.Torch.IO;
using Alignment.Training.Distributed;
using static Alignment.Torch.torch;

namespace Alignment.Workflows.Tests;

// Alignment.Sft as a workflow stage on a tiny model: reproducible artifacts, LoRA adapters, trainer errors, cancellation.
public class TrainingStageTests
{
    private static WorkflowDefinition SftDefinition(string model, int steps, string finetuning = "full", string extra = "{}", int batchSize = 4, int nproc = 1)
    {
        var d = WorkflowDefinition.Create("sft-only", "SFT only");
        d.AddActivity("model", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(model));
        var data = d.AddActivity("data", "Alignment.ImportDataset");
        data.SetInput("path", "String", Expression.Literal(Path.Combine(DemoModel.DemoFolder, "sft.jsonl")));
        data.SetInput("format", "String", Expression.Literal("sft"));
        var sft = d.AddActivity("sft", "Alignment.Sft", name: "SFT");
        sft.SetInput("model", "Artifact", Expression.Output("model", "model"));
        sft.SetInput("dataset", "Artifact", Expression.Output("data", "dataset"));
        sft.SetInput("maxSteps", "Int32", Expression.Literal(steps));
        sft.SetInput("batchSize", "Int32", Expression.Literal(batchSize));
        if (nproc != 1) sft.SetInput("nproc", "Int32", Expression.Literal(nproc));
        sft.SetInput("learningRate", "Double", Expression.Literal(1e-3));
        sft.SetInput("template", "String", Expression.Literal("chatml"));
        sft.SetInput("finetuning", "String", Expression.Literal(finetuning));
        sft.SetInput("extra", "String", Expression.Literal(extra));
        d.Connect("model", "data");
        d.Connect("data", "sft");
        return d;
    }

    [Fact]
    public async Task Sft_stores_the_model_and_metrics_and_a_forced_rerun_reproduces_their_hashes()
    {
        using var home = new TestHome();
        string path = home.Write(SftDefinition(DemoModel.Create(Path.Combine(home.Folder, "tiny")), steps: 3));

        var first = await home.Run(path);
        Assert.True(first.Status == InstanceStatus.Finished, first.Message);
        var o = home.Outputs(first.InstanceId)["sft"];
        var model = home.Engine.Artifacts.Get((string)o["model"]!);
        Assert.Equal(ArtifactKind.Model, model.Kind);
        Assert.True(File.Exists(Path.Combine(model.Path, "config.json")));
        Assert.True(File.Exists(Path.Combine(model.Path, "tokenizer.json")));
        Assert.False(Directory.Exists(Path.Combine(model.Path, "checkpoints")));
        var metrics = File.ReadAllLines(home.Engine.Artifacts.Get((string)o["metrics"]!).Path).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal([1, 2, 3], metrics.Select(m => (int)(double)m["step"]!));
        Assert.All(metrics, m => Assert.Null(m["tokens_per_second"]));
        Assert.Equal((double)metrics[^1]["loss"]!, (double)o["finalLoss"]!, 12);
        Assert.Equal(3.0, (double)o["steps"]!);
        Assert.Contains(home.Engine.Artifacts.Lineage(model.Hash), l => l.ViaInput == "dataset" && l.Artifact.Kind == ArtifactKind.Dataset);

        var forced = await home.Run(path, force: true);
        Assert.Equal(InstanceStatus.Finished, forced.Status);
        var again = home.Engine.Detail(forced.InstanceId).Executions.Single(e => e.ActivityId == "sft");
        Assert.Equal("completed", again.Status.ToCode());   // trained again, not taken from the cache
        Assert.Equal((string)o["model"]!, (string)again.Outputs!["model"]!);
        Assert.Equal((string)o["metrics"]!, (string)again.Outputs!["metrics"]!);
        Assert.Empty(Directory.Exists(home.Engine.Artifacts.TempRoot) ? Directory.EnumerateFileSystemEntries(home.Engine.Artifacts.TempRoot) : []);
    }

    // nproc 2 through the engine: the stage runs two `align train sft` workers on its run folder, and the stored model and
    // metrics are those of one process with the whole global batch (float64: only the summation order differs, so 1e-9).
    [Fact]
    public async Task Sft_with_nproc_2_stores_the_model_and_metrics_of_one_process_with_the_whole_batch()
    {
        var previous = WorkerLauncher.Start;
        WorkerLauncher.Start = SelfProcess.StartInfo;   // as `align` sets it: workers are this program's align.dll
        try
        {
            using var home = new TestHome();
            string model = DemoModel.Create(Path.Combine(home.Folder, "tiny"));
            const string extra = """{"dtype": "float64", "max_grad_norm": 0}""";
            var single = await home.Run(home.Write(SftDefinition(model, steps: 3, extra: extra, batchSize: 4), "single.json"));
            Assert.True(single.Status == InstanceStatus.Finished, single.Message);
            var parallel = await home.Run(home.Write(SftDefinition(model, steps: 3, extra: extra, batchSize: 2, nproc: 2), "parallel.json"));
            Assert.True(parallel.Status == InstanceStatus.Finished, parallel.Message);
            Assert.Contains("world size 2", home.Engine.Detail(parallel.InstanceId).Executions.Single(e => e.ActivityId == "sft").Log);

            var (o1, o2) = (home.Outputs(single.InstanceId)["sft"], home.Outputs(parallel.InstanceId)["sft"]);
            var (w1, w2) = (Weights(home.Engine.Artifacts.Get((string)o1["model"]!).Path), Weights(home.Engine.Artifacts.Get((string)o2["model"]!).Path));
            Assert.Equal(w1.Keys.Order(), w2.Keys.Order());
            Assert.True(Weights(model).Max(kv => kv.Value.Zip(w1[kv.Key], (x, y) => Math.Abs(x - y)).Max()) > 1e-4, "training did not move the weights");
            double worst = w1.Max(kv => kv.Value.Zip(w2[kv.Key], (x, y) => Math.Abs(x - y)).Max());
            Assert.True(worst < 1e-9, $"largest weight difference {worst:G3}");

            List<JsonNode> Metrics(JsonObject o) => File.ReadAllLines(home.Engine.Artifacts.Get((string)o["metrics"]!).Path).Select(l => JsonNode.Parse(l)!).ToList();
            var (m1, m2) = (Metrics(o1), Metrics(o2));
            Assert.Equal([1, 2, 3], m2.Select(m => (int)(double)m["step"]!));
            foreach (string key in new[] { "loss", "grad_norm" })
                for (int i = 0; i < 3; i++)
                    Assert.True(Math.Abs((double)m1[i][key]! - (double)m2[i][key]!) < 1e-9 * Math.Max(1, Math.Abs((double)m1[i][key]!)),
                                $"step {i + 1} {key}: {m1[i][key]} vs {m2[i][key]}");
            Assert.Equal((double)m2[^1]["loss"]!, (double)o2["finalLoss"]!, 12);
            Assert.Equal(3.0, (double)o2["steps"]!);
        }
        finally
        {
            WorkerLauncher.Start = previous;
        }
    }

    private static Dictionary<string, double[]> Weights(string folder)
    {
        var (tensors, _) = Safetensors.Load(Path.Combine(folder, "model.safetensors"), float64);
        var result = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.data<double>().ToArray());
        foreach (var t in tensors.Values) t.Dispose();
        return result;
    }

    [Fact]
    public async Task Sft_with_lora_stores_a_peft_adapter()
    {
        using var home = new TestHome();
        var result = await home.Run(home.Write(SftDefinition(DemoModel.Create(Path.Combine(home.Folder, "tiny")), steps: 2, "lora")));
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        var o = home.Outputs(result.InstanceId)["sft"];
        Assert.Null(o["model"]);
        var adapter = home.Engine.Artifacts.Get((string)o["adapter"]!);
        Assert.Equal(ArtifactKind.Adapter, adapter.Kind);
        Assert.True(File.Exists(Path.Combine(adapter.Path, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(adapter.Path, "adapter_model.safetensors")));
    }

    [Fact]
    public async Task A_bad_trainer_option_in_extra_faults_the_instance_naming_it()
    {
        using var home = new TestHome();
        var result = await home.Run(home.Write(SftDefinition(DemoModel.Create(Path.Combine(home.Folder, "tiny")), steps: 2, extra: "{\"warmup_ratoi\": 0.1}")));
        Assert.Equal(InstanceStatus.Faulted, result.Status);
        Assert.Contains("input 'extra'", result.Message);
        Assert.Contains("unknown option 'warmup_ratoi'", result.Message);
        Assert.Contains("did you mean 'warmup_ratio'", result.Message);

        var badValue = await home.Run(home.Write(SftDefinition(Path.Combine(home.Folder, "tiny"), steps: 2, extra: "{\"warmup_ratio\": 1.5}"), "bad-value.json"));
        Assert.Equal(InstanceStatus.Faulted, badValue.Status);
        Assert.Contains("option 'warmup_ratio' must be in [0, 1)", badValue.Message);

        var stageKey = await home.Run(home.Write(SftDefinition(Path.Combine(home.Folder, "tiny"), steps: 2, extra: "{\"learning_rate\": 0.1}"), "own-input.json"));
        Assert.Equal(InstanceStatus.Faulted, stageKey.Status);
        Assert.Contains("option 'learning_rate' has its own input 'learningRate'", stageKey.Message);
    }

    [Fact]
    public async Task Cancel_stops_training_at_the_next_step_and_stores_nothing()
    {
        using var home = new TestHome();
        string path = home.Write(SftDefinition(DemoModel.Create(Path.Combine(home.Folder, "tiny")), steps: 20000));
        // The stage reports each training step; cancel once it is three steps in.
        var stepsIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int steps = 0;
        var engine = new WorkflowEngine(home.Home, TestHome.Registry(), new WorkflowEngineOptions
        {
            Heartbeat = TimeSpan.FromMilliseconds(100),
            Observer = new StepProbe(e =>
            {
                if (e is { Kind: WorkflowEventKind.Progress, ActivityId: "sft" } && Interlocked.Increment(ref steps) == 3) stepsIn.TrySetResult();
            }),
        });
        string id = engine.Start(path, new Dictionary<string, string>(), force: false);
        var run = Task.Run(() => engine.RunAsync(id));
        await Task.WhenAny(stepsIn.Task, run).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(stepsIn.Task.IsCompleted, "the sft stage ended before its third step");
        home.Engine.Cancel(id);
        var result = await run.WaitAsync(TimeSpan.FromMinutes(1));

        Assert.Equal(InstanceStatus.Cancelled, result.Status);
        Assert.Equal("cancelled", home.Engine.Detail(id).Executions.Single(e => e.ActivityId == "sft").Status.ToCode());
        Assert.DoesNotContain(home.Engine.Artifacts.List(), a => a.Kind is ArtifactKind.Report || a.Provenance.OutputName == "metrics");
        Assert.Single(home.Engine.Artifacts.List(), a => a.Kind == ArtifactKind.Model);   // the imported one only
        Assert.Empty(Directory.Exists(home.Engine.Artifacts.TempRoot) ? Directory.EnumerateFileSystemEntries(home.Engine.Artifacts.TempRoot) : []);
    }

    [Fact]
    public async Task Kto_reward_model_and_best_of_n_stages_chain_on_a_tiny_model()
    {
        using var home = new TestHome();
        string model = DemoModel.Create(Path.Combine(home.Folder, "tiny"));
        string unpaired = Path.Combine(home.Folder, "unpaired.jsonl"), pairs = Path.Combine(home.Folder, "pairs.jsonl");
        File.WriteAllLines(unpaired, Enumerable.Range(0, 6).Select(i =>
            $"{{\"prompt\":\"What is {i} plus 1?\",\"completion\":\"{(i % 2 == 0 ? $"{i} plus 1 is {i + 1}." : "no")}\",\"label\":{(i % 2 == 0 ? "true" : "false")}}}"));
        File.WriteAllLines(pairs, Enumerable.Range(0, 6).Select(i =>
            $"{{\"prompt\":\"What is {i} plus 2?\",\"chosen\":\"{i} plus 2 is {i + 2}.\",\"rejected\":\"no\"}}"));
        var d = WorkflowDefinition.Create("kto-rm-bon", "KTO, reward model, best of n");
        d.AddActivity("model", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(model));
        foreach (var (id, file, format) in new[] { ("unpaired", unpaired, "unpaired"), ("pairs", pairs, "preference"),
                                                   ("prompts", Path.Combine(DemoModel.DemoFolder, "prompts.jsonl"), "prompts") })
        {
            var data = d.AddActivity(id, "Alignment.ImportDataset");
            data.SetInput("path", "String", Expression.Literal(file));
            data.SetInput("format", "String", Expression.Literal(format));
        }
        var kto = d.AddActivity("kto", "Alignment.Kto");
        kto.SetInput("model", "Artifact", Expression.Output("model", "model"));
        kto.SetInput("dataset", "Artifact", Expression.Output("unpaired", "dataset"));
        var rm = d.AddActivity("rm", "Alignment.TrainRewardModel");
        rm.SetInput("model", "Artifact", Expression.Output("model", "model"));
        rm.SetInput("preferences", "Artifact", Expression.Output("pairs", "dataset"));
        foreach (var stage in new[] { kto, rm })
        {
            stage.SetInput("maxSteps", "Int32", Expression.Literal(2));
            stage.SetInput("batchSize", "Int32", Expression.Literal(3));
            stage.SetInput("template", "String", Expression.Literal("chatml"));
        }
        var bon = d.AddActivity("bon", "Alignment.BestOfN");
        bon.SetInput("model", "Artifact", Expression.Output("kto", "model"));
        bon.SetInput("rewardModel", "Artifact", Expression.Output("rm", "rewardModel"));
        bon.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
        bon.SetInput("n", "Int32", Expression.Literal(3));
        bon.SetInput("maxNewTokens", "Int32", Expression.Literal(6));
        bon.SetInput("template", "String", Expression.Literal("chatml"));
        d.Connect("model", "unpaired");
        d.Connect("unpaired", "pairs");
        d.Connect("pairs", "prompts");
        d.Connect("prompts", "kto");
        d.Connect("kto", "rm");
        d.Connect("rm", "bon");

        var result = await home.Run(home.Write(d));
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        var o = home.Outputs(result.InstanceId);
        Assert.True(double.IsFinite((double)o["kto"]["kl"]!));
        Assert.Equal(ArtifactKind.RewardModel, home.Engine.Artifacts.Get((string)o["rm"]["rewardModel"]!).Kind);
        Assert.InRange((double)o["rm"]["accuracy"]!, 0, 1);
        var best = File.ReadAllLines(home.Engine.Artifacts.Get((string)o["bon"]["dataset"]!).Path);
        Assert.Equal(4, best.Length);
        Assert.Equal(12, File.ReadAllLines(home.Engine.Artifacts.Get((string)o["bon"]["candidates"]!).Path).Length);
        Assert.Equal(best.Average(l => (double)JsonNode.Parse(l)!["score"]!), (double)o["bon"]["meanScore"]!, 9);
        Assert.Equal(4.0, (double)o["bon"]["rows"]!);
    }

    [Fact]
    public async Task Online_dpo_stage_ranks_pairs_with_a_rule_file_and_stores_the_policy()
    {
        using var home = new TestHome();
        string model = DemoModel.Create(Path.Combine(home.Folder, "tiny"));
        string rules = Path.Combine(home.Folder, "rules.json");
        File.WriteAllText(rules, """{"rules": [{"name": "long", "minLength": 8, "score": 1}, {"name": "digit", "regex": "\\d", "score": 1}], "tie": 0}""");
        WorkflowDefinition Definition(bool withRules)
        {
            var d = WorkflowDefinition.Create("online-dpo", "Online DPO");
            d.AddActivity("model", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(model));
            var data = d.AddActivity("prompts", "Alignment.ImportDataset");
            data.SetInput("path", "String", Expression.Literal(Path.Combine(DemoModel.DemoFolder, "prompts.jsonl")));
            data.SetInput("format", "String", Expression.Literal("prompts"));
            var od = d.AddActivity("od", "Alignment.OnlineDpo");
            od.SetInput("model", "Artifact", Expression.Output("model", "model"));
            od.SetInput("prompts", "Artifact", Expression.Output("prompts", "dataset"));
            if (withRules) od.SetInput("rules", "String", Expression.Literal(rules));
            od.SetInput("maxSteps", "Int32", Expression.Literal(2));
            od.SetInput("batchSize", "Int32", Expression.Literal(2));
            od.SetInput("maxNewTokens", "Int32", Expression.Literal(6));
            od.SetInput("template", "String", Expression.Literal("chatml"));
            d.Connect("model", "prompts");
            d.Connect("prompts", "od");
            return d;
        }

        var result = await home.Run(home.Write(Definition(true)));
        Assert.True(result.Status == InstanceStatus.Finished, result.Message);
        var o = home.Outputs(result.InstanceId)["od"];
        Assert.Equal(ArtifactKind.Model, home.Engine.Artifacts.Get((string)o["model"]!).Kind);
        var metrics = File.ReadAllLines(home.Engine.Artifacts.Get((string)o["metrics"]!).Path).Select(l => JsonNode.Parse(l)!).ToList();
        Assert.Equal(2, metrics.Count);
        Assert.NotNull(metrics[0]["rewards/rules/mean"]);
        Assert.Equal((double)metrics[^1]["objective/scores"]!, (double)o["meanReward"]!, 12);

        var none = await home.Run(home.Write(Definition(false), "no-reward.json"));
        Assert.Equal(InstanceStatus.Faulted, none.Status);
        Assert.Contains("give a reward", none.Message);
    }
}

/// <summary>Passes every workflow event to a callback.</summary>
internal sealed class StepProbe(Action<WorkflowEvent> onEvent) : IWorkflowObserver
{
    public void OnEvent(WorkflowEvent e) => onEvent(e);
}
