using Alignment.Training.Config;
using Alignment.Training.Metrics;
using Alignment.Training.Rewards;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

[Collection(TrainingCollection.Name)]
public sealed class OnlineDpoTrainerTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    /// <summary>Toy verifiable reward, a rule in effect: how many completion tokens are in a fixed tenth of the vocabulary.</summary>
    private sealed class TargetTokens(HashSet<int> targets) : IRewardFunction
    {
        public string Name => "targets";
        public double[] Score(IReadOnlyList<RewardInput> completions) => completions.Select(c => (double)c.CompletionIds.Count(targets.Contains)).ToArray();
    }

    private IRewardFunction[] Rewards() => [new TargetTokens(Enumerable.Range(0, world.Tokenizer.VocabSize).Where(i => i % 10 == 3).ToHashSet())];

    private string Prompts() => world.WriteJsonl("prompts.jsonl", Enumerable.Range(0, 32).Select(i => new { prompt = $"q{i}" }));

    private OnlineDpoOptions Options(string data) => new()
    {
        Model = world.Model, Data = data, Template = "plain", BatchSize = 8, MaxNewTokens = 8, MaxLength = 24, LearningRate = 3e-3,
        LrScheduler = "constant", MaxSteps = 24, LoggingSteps = 1, SaveSteps = 0, Beta = 0.1,
    };

    [Fact]
    public void Online_dpo_raises_a_verifiable_reward_and_logs_trl_metrics()
    {
        string output = world.NewOutput("online-dpo");
        OnlineDpoTrainer.Run(Options(Prompts()), output, rewards: Rewards());
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(24, rows.Count);
        foreach (string key in new[] { "loss", "grad_norm", "learning_rate", "objective/kl", "objective/entropy", "objective/non_score_reward",
                                       "objective/rlhf_reward", "objective/scores", "objective/scores_margin", "rewards/chosen", "rewards/rejected",
                                       "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected", "val/contain_eos_token", "beta",
                                       "rewards/targets/mean", "frac_tied_pairs" })
            Assert.True(rows[0].ContainsKey(key), key);
        Assert.Equal(0.0, rows[0]["objective/kl"]!.Value, 5);          // step 1: the policy is its reference
        Assert.Equal(0.1, rows[0]["beta"]!.Value, 12);
        double first = rows.Take(4).Average(r => r["objective/scores"]!.Value);
        double last = rows.TakeLast(4).Average(r => r["objective/scores"]!.Value);
        Assert.True(first > 0.2, $"first mean reward {first}: the toy reward should not start at zero");
        Assert.True(last >= 2 * first, $"mean reward {first} -> {last}: " + string.Join(" ", rows.Select(r => r["objective/scores"])));
        Assert.True(rows.Skip(1).Average(r => r["objective/kl"]!.Value) > 0, "the policy moves away from the reference");
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void Online_dpo_resumes_exactly_with_a_lora_policy_and_the_adapters_off_reference()
    {
        string data = Prompts();
        OnlineDpoOptions Make(bool resume)
        {
            var o = Options(data);
            o.MaxSteps = 4;
            o.SaveSteps = 2;
            o.BatchSize = 4;
            o.Finetuning = FinetuningType.Lora;
            o.TopP = 0.9;
            o.MissingEosPenalty = 1;
            o.LossType = Losses.OnlineDpoLossType.Ipo;
            if (resume) o.ResumeFrom = "latest";
            return o;
        }
        string straight = world.NewOutput("straight"), resumed = world.NewOutput("resumed");
        OnlineDpoTrainer.Run(Make(false), straight, rewards: Rewards());
        Assert.True(OnlineDpoTrainer.Run(Make(false), resumed, null, new RunHooks { StopAfterStep = 2 }, rewards: Rewards()).Interrupted);
        manual_seed(4242);
        OnlineDpoTrainer.Run(Make(true), resumed, rewards: Rewards());
        TrainerAssert.BitIdentical(TrainerAssert.Weights(straight), TrainerAssert.Weights(resumed));
        var a = MetricsWriter.Read(Path.Combine(straight, "metrics.jsonl"));
        var b = MetricsWriter.Read(Path.Combine(resumed, "metrics.jsonl"));
        Assert.Equal(a.Select(r => r["objective/scores"]), b.Select(r => r["objective/scores"]));
        Assert.Equal(a.Select(r => r["objective/kl"]), b.Select(r => r["objective/kl"]));
        Assert.Contains(a.Skip(1), r => Math.Abs(r["objective/kl"]!.Value) > 1e-7);    // the adapters moved away from the adapters-off reference
    }

    [Fact]
    public void Bad_options_are_refused_naming_the_key()
    {
        var o = Options(Prompts());
        o.MaxLength = 8;
        Assert.Contains("max_length", Assert.Throws<ConfigException>(() => OnlineDpoTrainer.Run(o, world.NewOutput("bad1"), rewards: Rewards())).Message);
        o = Options(Prompts());
        o.MissingEosPenalty = -1;
        Assert.Contains("missing_eos_penalty", Assert.Throws<ConfigException>(() => OnlineDpoTrainer.Run(o, world.NewOutput("bad2"), rewards: Rewards())).Message);
    }
}
