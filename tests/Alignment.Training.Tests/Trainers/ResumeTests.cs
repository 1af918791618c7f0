using Alignment.Training.Checkpoints;
using Alignment.Training.Config;
using Alignment.Training.Metrics;
using Alignment.Training.Runtime;
using Alignment.Training.State;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

// Exact resume: stop after step k as if killed, resume from the checkpoint, and get weights at
// step n bit-identical to an uninterrupted run — weights, optimizer, scheduler, RNG (LoRA dropout) and data position.
[Collection(TrainingCollection.Name)]
public sealed class ResumeTests : IDisposable
{
    private const int Steps = 6, StopAt = 3;
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    private T Common<T>(T o, string data) where T : CommonOptions
    {
        o.Model = world.Model;
        o.Data = data;
        o.Template = "plain";
        o.MaxLength = 32;
        o.BatchSize = 4;
        o.GradientAccumulationSteps = 2;          // 4 steps per epoch of 32: the resume crosses an epoch boundary
        o.MaxSteps = Steps;
        o.LearningRate = 2e-3;
        o.LrScheduler = "cosine";
        o.WarmupRatio = 0.2;
        o.WeightDecay = 0.01;
        o.SaveSteps = StopAt;
        o.LoggingSteps = 1;
        return o;
    }

    private void AssertExactResume(Func<string, RunHooks?, RunResult> run, string name)
    {
        string straight = world.NewOutput(name + "-straight"), resumed = world.NewOutput(name + "-resumed");
        var a = run(straight, null);
        var first = run(resumed, new RunHooks { StopAfterStep = StopAt });
        Assert.True(first.Interrupted);
        Assert.False(File.Exists(Path.Combine(resumed, "trainer_state.json")));
        Assert.True(Directory.Exists(Path.Combine(resumed, "checkpoints", $"step-{StopAt}")));
        manual_seed(987654321);                   // as in a new process: the generator state must come from the checkpoint
        var b = run(resumed, null);
        Assert.False(b.Interrupted);
        TrainerAssert.BitIdentical(TrainerAssert.Weights(straight), TrainerAssert.Weights(resumed));
        var la = MetricsWriter.Read(Path.Combine(straight, "metrics.jsonl"));
        var lb = MetricsWriter.Read(Path.Combine(resumed, "metrics.jsonl"));
        Assert.Equal(la.Select(r => r["step"]), lb.Select(r => r["step"]));
        Assert.Equal(la.Select(r => r["loss"]), lb.Select(r => r["loss"]));
        Assert.Equal(la.Select(r => r["learning_rate"]), lb.Select(r => r["learning_rate"]));
    }

    [Theory]
    [InlineData(FinetuningType.Full)]
    [InlineData(FinetuningType.Lora)]
    [InlineData(FinetuningType.Freeze)]
    [InlineData(FinetuningType.PrefixTuning)]
    [InlineData(FinetuningType.PTuning)]
    [InlineData(FinetuningType.Ia3)]
    [InlineData(FinetuningType.Bottleneck)]
    public void Sft_resumes_exactly(FinetuningType finetuning)
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        AssertExactResume((output, hooks) =>
        {
            var o = Common(new SftOptions { Finetuning = finetuning, LoraDropout = 0.3, FreezeTrainableLayers = 1 }, data);
            if (hooks is null && Directory.Exists(Path.Combine(output, "checkpoints"))) o.ResumeFrom = "latest";
            return SftTrainer.Run(o, output, null, hooks);
        }, $"sft-{finetuning}");
    }

    [Fact]
    public void Dpo_resumes_exactly_and_reuses_its_reference_logps()
    {
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows());
        var messages = new List<string>();
        AssertExactResume((output, hooks) =>
        {
            var o = Common(new DpoOptions { Finetuning = FinetuningType.Lora, LoraDropout = 0.2, RpoAlpha = 0.5 }, data);
            if (hooks is null && Directory.Exists(Path.Combine(output, "checkpoints"))) o.ResumeFrom = "latest";
            return DpoTrainer.Run(o, output, new Collect(messages), hooks);
        }, "dpo");
        Assert.Contains(messages, m => m.StartsWith("reference log-probs: reusing", StringComparison.Ordinal));
    }

    [Fact]
    public void Reward_model_resumes_exactly()
    {
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows());
        AssertExactResume((output, hooks) =>
        {
            var o = Common(new RewardOptions { Finetuning = FinetuningType.Lora, LoraDropout = 0.1 }, data);
            if (hooks is null && Directory.Exists(Path.Combine(output, "checkpoints"))) o.ResumeFrom = "latest";
            var r = RewardTrainer.Run(o, output, null, hooks);
            if (!r.Interrupted) Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));   // merged reward model
            return r;
        }, "rm");
    }

    [Fact]
    public void Kto_resumes_exactly()
    {
        var rows = Enumerable.Range(0, 32).Select(i => new { prompt = $"q{i}", completion = $" {TinyWorld.Colors[i % 8]}", label = i % 3 != 0 });
        string data = world.WriteJsonl("kto.jsonl", rows);
        AssertExactResume((output, hooks) =>
        {
            var o = Common(new KtoOptions(), data);
            if (hooks is null && Directory.Exists(Path.Combine(output, "checkpoints"))) o.ResumeFrom = "latest";
            return KtoTrainer.Run(o, output, null, hooks);
        }, "kto");
    }

    [Fact]
    public void Resume_with_other_math_settings_is_refused_listing_the_keys_and_changes_nothing()
    {
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows());
        string output = world.NewOutput("dpo");
        DpoTrainer.Run(Common(new DpoOptions(), data), output, null, new RunHooks { StopAfterStep = StopAt });
        string metrics = File.ReadAllText(Path.Combine(output, "metrics.jsonl"));
        var before = TrainerAssert.Weights(Path.Combine(output, "checkpoints", "step-3"));

        var changed = Common(new DpoOptions { Beta = 0.5 }, data);
        changed.LearningRate = 1e-3;
        changed.LoggingSteps = 2;                 // not a math setting: allowed to differ
        changed.ResumeFrom = "latest";
        var e = Assert.Throws<TrainingException>(() => DpoTrainer.Run(changed, output));
        Assert.Contains("beta: checkpoint 0.1, now 0.5", e.Message);
        Assert.Contains("learning_rate: checkpoint 0.002, now 0.001", e.Message);
        Assert.DoesNotContain("logging_steps", e.Message);

        var sftOnDpo = Common(new SftOptions(), world.WriteJsonl("sft.jsonl", TinyWorld.SftRows()));
        sftOnDpo.ResumeFrom = Path.Combine(output, "checkpoints", "step-3");
        Assert.Contains("it is a 'dpo' checkpoint, not 'sft'", Assert.Throws<TrainingException>(() => SftTrainer.Run(sftOnDpo, world.NewOutput("other"))).Message);

        Assert.Equal(metrics, File.ReadAllText(Path.Combine(output, "metrics.jsonl")));
        TrainerAssert.BitIdentical(before, TrainerAssert.Weights(Path.Combine(output, "checkpoints", "step-3")));
        // A fresh run into a folder that holds one is refused too (it would mix two runs' metrics).
        Assert.Contains("already holds a run", Assert.Throws<TrainingException>(() => DpoTrainer.Run(Common(new DpoOptions(), data), output)).Message);
    }

    [Fact]
    public void Checkpoints_hold_weights_optimizer_scheduler_and_state_and_only_the_last_ones_are_kept()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        string output = world.NewOutput("sft");
        var o = Common(new SftOptions(), data);
        o.SaveSteps = 1;
        o.SaveTotalLimit = 2;
        SftTrainer.Run(o, output);
        var store = new CheckpointStore(output);
        Assert.Equal(new[] { 5, 6 }, store.List().Select(c => c.step));
        string last = store.PathOf(6);
        foreach (string f in new[] { "config.json", "model.safetensors", "optimizer.safetensors", "scheduler.json", "trainer_state.json", "tokenizer.json" })
            Assert.True(File.Exists(Path.Combine(last, f)), f);
        var state = TrainerState.Load(last);
        Assert.Equal(6, state.GlobalStep);
        Assert.Equal(1, state.Epoch);
        Assert.Equal(2, state.BatchInEpoch);
        Assert.Equal(6, state.LogHistory.Count);
        Assert.Equal("0.002", state.Options["learning_rate"]!.ToJsonString());
        Assert.DoesNotContain(Directory.EnumerateDirectories(Path.Combine(output, "checkpoints")), d => Path.GetFileName(d).StartsWith('.'));
    }

    private sealed class Collect(List<string> messages) : ITrainingProgress
    {
        public void Start(string stage, int completedSteps, int totalSteps) { }
        public void Step(int step, double loss) { }
        public void Message(string text) => messages.Add(text);
        public void Finish() { }
    }
}
