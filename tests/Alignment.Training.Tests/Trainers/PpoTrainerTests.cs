using Alignment.Models.Generation;
using Alignment.Models.Heads;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Training.Config;
using Alignment.Training.Metrics;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

[Collection(TrainingCollection.Name)]
public sealed class PpoTrainerTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    /// <summary>Toy reward: how many completion tokens fall in a fixed set of token ids (a tenth of the vocabulary).</summary>
    private sealed class TargetTokenCount(HashSet<int> targets) : ISequenceScorer
    {
        public double[] Score(IReadOnlyList<int[]> sequences, IReadOnlyList<int> promptLengths) =>
            sequences.Select((s, i) => (double)s.Skip(promptLengths[i]).Count(targets.Contains)).ToArray();
    }

    private TargetTokenCount Scorer() => new(Enumerable.Range(0, world.Tokenizer.VocabSize).Where(i => i % 10 == 3).ToHashSet());

    private PpoOptions Options(string data) => new()
    {
        Model = world.Model, Data = data, Template = "plain", BatchSize = 16, MiniBatchSize = 8, PpoEpochs = 4, MaxNewTokens = 8,
        LearningRate = 3e-3, LrScheduler = "constant", MaxSteps = 12, LoggingSteps = 1, SaveSteps = 0, KlCoef = 0.05,
        MissingEosPenalty = 0, MaxPromptLength = 16,
    };

    private string Prompts() => world.WriteJsonl("prompts.jsonl", Enumerable.Range(0, 32).Select(i => new { prompt = $"q{i}" }));

    [Fact]
    public void Ppo_at_least_doubles_a_toy_reward_with_finite_kl()
    {
        string output = world.NewOutput("ppo");
        PpoTrainer.Run(Options(Prompts()), output, scorer: Scorer());
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        foreach (string key in new[] { "objective/kl", "objective/scores", "objective/non_score_reward", "policy/clipfrac", "policy/approxkl",
                                       "val/clipfrac", "val/mean", "loss/policy", "loss/value", "kl_coef", "completions/mean_length", "loss",
                                       "learning_rate", "epoch", "step" })
            Assert.True(rows[0].ContainsKey(key), key);
        double first = rows[0]["objective/scores"]!.Value;
        double last = rows.TakeLast(3).Average(r => r["objective/scores"]!.Value);
        Assert.True(first > 0.2, $"first batch mean score {first}: the toy reward should not start at zero");
        Assert.True(last >= 2 * first, $"mean score {first} -> {last}");
        Assert.All(rows, r => Assert.True(r["objective/kl"] is double k && double.IsFinite(k)));
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
    }

    [Fact]
    public void A_lora_policy_is_its_own_reference_with_the_adapters_switched_off()
    {
        using var scope = NewDisposeScope();
        using var init = new Generator(3);
        using var policy = CausalLMWithValueHead.from_pretrained(world.Model, init, summary_dropout_prob: 0);
        LoraModel.add_adapters(policy.pretrained_model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, init);
        using (no_grad())
            foreach (var (_, layer) in LoraModel.AdaptedLayers(policy.pretrained_model)) layer.lora_B.normal_(0, 0.3, init);
        policy.eval();
        using var copy = LlamaForCausalLM.from_pretrained(world.Model);   // what a full fine-tune uses: a second copy
        copy.eval();
        var prompts = Enumerable.Range(0, 4).Select(i => new[] { 5 + i, 9, 12 + i }).ToList();
        var generation = new GenerationOptions { MaxNewTokens = 6, DoSample = true, PadTokenId = 0 };
        var o = Options(Prompts());
        PpoRollout Collect(LlamaForCausalLM? reference)
        {
            using var sampling = new Generator(11);
            return PpoRollout.Collect(policy, reference, prompts, generation, sampling, Scorer(), o, 0.05, 0);
        }
        var own = Collect(null);
        var separate = Collect(copy);
        Assert.Equal(separate.KlPerSequence, own.KlPerSequence);              // exactly: the same weights and ops
        Assert.Contains(own.KlPerSequence, k => Math.Abs(k) > 1e-4);          // and the adapters do move the policy
        Assert.All(LoraModel.AdaptedLayers(policy.pretrained_model), l => Assert.True(l.layer.lora_enabled));
    }

    [Fact]
    public void Rollout_log_probs_are_those_of_the_processed_distribution_at_temperature_0_7_with_top_p()
    {
        using var scope = NewDisposeScope();
        using var init = new Generator(3);
        using var policy = CausalLMWithValueHead.from_pretrained(world.Model, init, summary_dropout_prob: 0);
        policy.eval();
        using var reference = LlamaForCausalLM.from_pretrained(world.Model);
        reference.eval();
        var prompts = Enumerable.Range(0, 4).Select(i => new[] { 5 + i, 9, 12 + i }).ToList();
        const double temperature = 0.7, topP = 0.8;
        var generation = new GenerationOptions { MaxNewTokens = 6, DoSample = true, PadTokenId = 0, Temperature = temperature, TopP = topP };
        using var sampling = new Generator(11);
        var rollout = PpoRollout.Collect(policy, reference, prompts, generation, sampling, Scorer(), Options(Prompts()), 0.05, 0);

        // Independently, in doubles: logits / 0.7, then transformers' top-p rule (sort ascending, drop the prefix whose
        // cumulative probability is <= 1 - top_p, never the most likely token), renormalized over what is kept.
        var logits = policy.forward(rollout.InputIds, rollout.AttentionMask).logits.to(float64);
        long b = logits.size(0), t = logits.size(1), v = logits.size(2);
        var flat = logits.data<double>();
        var ids = rollout.InputIds.data<long>();
        var mask = rollout.Mask.data<float>();
        var old = rollout.OldLogprobs.data<float>();
        int checkedTokens = 0, differFromRaw = 0;
        for (long r = 0; r < b; r++)
            for (long k = 0; k < t - 1; k++)
            {
                if (mask[r * (t - 1) + k] == 0) continue;
                var z = Enumerable.Range(0, (int)v).Select(j => flat[(r * t + k) * v + j] / temperature).ToArray();
                double max = z.Max(), norm = z.Sum(x => Math.Exp(x - max));
                var ascending = Enumerable.Range(0, (int)v).OrderBy(j => z[j]).ToArray();
                var kept = new HashSet<int>();
                double cumulative = 0;
                for (int i = 0; i < ascending.Length; i++)
                {
                    cumulative += Math.Exp(z[ascending[i]] - max) / norm;
                    if (cumulative > 1 - topP || i == ascending.Length - 1) kept.Add(ascending[i]);
                }
                int label = (int)ids[r * t + k + 1];
                Assert.Contains(label, kept);                                   // a sampled token is inside the nucleus
                double keptNorm = kept.Sum(j => Math.Exp(z[j] - max));
                double expected = z[label] - max - Math.Log(keptNorm);
                Assert.True(Math.Abs(expected - old[r * (t - 1) + k]) < 1e-4, $"[{r},{k}] {old[r * (t - 1) + k]} vs {expected}");
                double rawMax = flat.Skip((int)((r * t + k) * v)).Take((int)v).Max();
                double raw = flat[(r * t + k) * v + label] - rawMax - Math.Log(Enumerable.Range(0, (int)v).Sum(j => Math.Exp(flat[(r * t + k) * v + j] - rawMax)));
                if (Math.Abs(raw - expected) > 1e-3) differFromRaw++;
                checkedTokens++;
            }
        Assert.True(checkedTokens >= 8, $"{checkedTokens} completion tokens checked");
        Assert.True(differFromRaw > checkedTokens / 2, "the processed distribution should differ from the raw one on most tokens");
    }

    [Fact]
    public void Ppo_resumes_exactly_including_the_sampling_generator_and_adaptive_kl()
    {
        string data = Prompts();
        PpoOptions Make(bool resume)
        {
            var o = Options(data);
            o.MaxSteps = 4;
            o.SaveSteps = 2;
            o.AdaptiveKl = true;
            o.KlTarget = 0.01;
            o.KlHorizon = 10;
            o.Finetuning = FinetuningType.Lora;
            if (resume) o.ResumeFrom = "latest";
            return o;
        }
        string straight = world.NewOutput("straight"), resumed = world.NewOutput("resumed");
        PpoTrainer.Run(Make(false), straight, scorer: Scorer());
        Assert.True(PpoTrainer.Run(Make(false), resumed, null, new RunHooks { StopAfterStep = 2 }, Scorer()).Interrupted);
        manual_seed(4242);
        PpoTrainer.Run(Make(true), resumed, scorer: Scorer());
        TrainerAssert.BitIdentical(TrainerAssert.Weights(straight), TrainerAssert.Weights(resumed));
        var a = MetricsWriter.Read(Path.Combine(straight, "metrics.jsonl"));
        var b = MetricsWriter.Read(Path.Combine(resumed, "metrics.jsonl"));
        Assert.Equal(a.Select(r => r["objective/scores"]), b.Select(r => r["objective/scores"]));
        Assert.Equal(a.Select(r => r["kl_coef"]), b.Select(r => r["kl_coef"]));
        Assert.NotEqual(a[0]["kl_coef"], a[^1]["kl_coef"]);       // the controller moved, and the resume carried it
        Assert.True(File.Exists(Path.Combine(resumed, "heads.safetensors")));   // LoRA policy: adapter + value head
    }
}
