using Alignment.Training.Config;
using Alignment.Training.Losses;
using Alignment.Training.Metrics;
using Alignment.Training.Rewards;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

[Collection(TrainingCollection.Name)]
public sealed class GrpoTrainerTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    /// <summary>Toy verifiable reward: how many completion tokens fall in a fixed set of ids (a tenth of the vocabulary).</summary>
    private sealed class TargetTokenCount(HashSet<int> targets) : IRewardFunction
    {
        public string Name => "targets";
        public double[] Score(IReadOnlyList<RewardInput> completions) => completions.Select(c => (double)c.CompletionIds.Count(targets.Contains)).ToArray();
    }

    /// <summary>A second reward that only reads the decoded text: its length in characters.</summary>
    private sealed class TextLength : IRewardFunction
    {
        public string Name => "chars";
        public double[] Score(IReadOnlyList<RewardInput> completions) => completions.Select(c => (double)c.Completion.Length).ToArray();
    }

    private IRewardFunction[] Rewards() => [new TargetTokenCount(Enumerable.Range(0, world.Tokenizer.VocabSize).Where(i => i % 10 == 3).ToHashSet()), new TextLength()];

    private GrpoOptions Options(string data) => new()
    {
        Model = world.Model, Data = data, Template = "plain", BatchSize = 4, NumGenerations = 8, MaxCompletionLength = 8,
        LearningRate = 3e-3, LrScheduler = "constant", MaxSteps = 16, LoggingSteps = 1, SaveSteps = 0, MaxPromptLength = 16, NumIterations = 4, MiniBatchSize = 16,
        RewardWeights = "1, 0",
    };

    private string Prompts() => world.WriteJsonl("prompts.jsonl", Enumerable.Range(0, 32).Select(i => new { prompt = $"q{i}" }));

    [Fact]
    public void Grpo_raises_a_verifiable_reward_and_logs_trl_metrics()
    {
        string output = world.NewOutput("grpo");
        GrpoTrainer.Run(Options(Prompts()), output, rewards: Rewards());
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        foreach (string key in new[] { "reward", "reward_std", "frac_reward_zero_std", "rewards/targets/mean", "rewards/targets/std", "rewards/chars/mean",
                                       "completions/mean_length", "completions/clipped_ratio", "entropy", "clip_ratio/low_mean", "clip_ratio/high_mean",
                                       "clip_ratio/region_mean", "loss", "grad_norm", "learning_rate" })
            Assert.True(rows[0].ContainsKey(key), key);
        Assert.False(rows[0].ContainsKey("kl"));          // beta = 0: no reference, no KL
        // reward = 1·targets + 0·chars: the weighted sum, not the plain one
        Assert.All(rows, r => Assert.Equal(r["rewards/targets/mean"]!.Value, r["reward"]!.Value, 9));
        double first = rows.Take(3).Average(r => r["reward"]!.Value);
        double last = rows.TakeLast(3).Average(r => r["reward"]!.Value);
        Assert.True(first > 0.2, $"first mean reward {first}: the toy reward should not start at zero");
        Assert.True(last >= 2 * first, $"mean reward {first} -> {last}: " + string.Join(" ", rows.Select(r => r["reward"])));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void An_epoch_whose_last_batch_holds_fewer_prompts_trains_on_what_it_holds()
    {
        // 6 prompts with batch_size 4: the second generation batch of each epoch has 2 prompts (16 completions, not 32).
        string data = world.WriteJsonl("six.jsonl", Enumerable.Range(0, 6).Select(i => new { prompt = $"q{i}" }));
        string output = world.NewOutput("grpo-partial");
        var o = Options(data);
        o.MaxSteps = 2;
        o.MiniBatchSize = 8;
        GrpoTrainer.Run(o, output, rewards: Rewards());
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(2, rows.Count);
        // frac_reward_zero_std counts groups of the batch it describes: a multiple of 1/2 for the 2-prompt batch
        double frac = rows[1]["frac_reward_zero_std"]!.Value;
        Assert.Equal(Math.Round(frac * 2), frac * 2, 9);
    }

    [Fact]
    public void Grpo_resumes_exactly_with_lora_kl_and_several_iterations()
    {
        string data = Prompts();
        GrpoOptions Make(bool resume)
        {
            var o = Options(data);
            o.MaxSteps = 4;
            o.SaveSteps = 2;
            o.Finetuning = FinetuningType.Lora;
            o.Beta = 0.04;
            o.NumIterations = 2;
            o.MiniBatchSize = 8;
            o.EpsilonHigh = 0.28;
            o.LossType = GrpoLossType.Grpo;
            o.Temperature = 0.7;
            o.TopP = 0.9;
            if (resume) o.ResumeFrom = "latest";
            return o;
        }
        string straight = world.NewOutput("straight"), resumed = world.NewOutput("resumed");
        GrpoTrainer.Run(Make(false), straight, rewards: Rewards());
        Assert.True(GrpoTrainer.Run(Make(false), resumed, null, new RunHooks { StopAfterStep = 2 }, rewards: Rewards()).Interrupted);
        manual_seed(4242);
        GrpoTrainer.Run(Make(true), resumed, rewards: Rewards());
        TrainerAssert.BitIdentical(TrainerAssert.Weights(straight), TrainerAssert.Weights(resumed));
        var a = MetricsWriter.Read(Path.Combine(straight, "metrics.jsonl"));
        var b = MetricsWriter.Read(Path.Combine(resumed, "metrics.jsonl"));
        Assert.Equal(a.Select(r => r["reward"]), b.Select(r => r["reward"]));
        Assert.Equal(a.Select(r => r["kl"]), b.Select(r => r["kl"]));
        Assert.Contains(a.Skip(1), r => r["kl"] is > 1e-7);    // the adapters moved away from the adapters-off reference
    }

    [Fact]
    public void Rloo_raises_the_reward_and_puts_the_kl_in_it()
    {
        string output = world.NewOutput("rloo");
        var g = Options(Prompts());
        var o = new RlooOptions
        {
            Model = g.Model, Data = g.Data, Template = "plain", BatchSize = 4, NumGenerations = 8, MaxCompletionLength = 8, LearningRate = 3e-3,
            LrScheduler = "constant", MaxSteps = 16, LoggingSteps = 1, SaveSteps = 0, MaxPromptLength = 16, NumIterations = 4, MiniBatchSize = 16,
            RewardWeights = "1, 0", Beta = 0.01,
        };
        RlooTrainer.Run(o, output, rewards: Rewards());
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(0.0, rows[0]["objective/non_score_reward"]!.Value, 9);     // step 1: the policy is its reference
        Assert.Contains(rows.Skip(1), r => Math.Abs(r["objective/non_score_reward"]!.Value) > 1e-6);
        Assert.True(rows.Skip(1).Average(r => r["objective/non_score_reward"]!.Value) < 0, "−β·KL is a penalty on average");
        double first = rows.Take(3).Average(r => r["reward"]!.Value);
        double last = rows.TakeLast(3).Average(r => r["reward"]!.Value);
        Assert.True(last >= 2 * first, $"mean reward {first} -> {last}: " + string.Join(" ", rows.Select(r => r["reward"])));
        Assert.Throws<ConfigException>(() => RlooTrainer.Run(new RlooOptions { Model = g.Model, Data = g.Data, ScaleRewards = ScaleRewards.None }, world.NewOutput("bad")));
    }
}
