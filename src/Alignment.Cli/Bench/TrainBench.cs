using System.Diagnostics;
using Alignment.Models.Checkpoints;
using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Models.Quantization;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Features;
using Alignment.Training.Losses;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.optim;

namespace Alignment.Cli.Bench;

/// <summary>One case of `align bench train`.</summary>
/// <param name="Case">sft-256, dpo-256, sft-512, dpo-512, dora-512, galore-512, lora-512, qlora-512, lora-1024, qlora-1024,
/// lora-1024-gc, qlora-1024-gc, qlora-1024-gc9 or grpo-256.</param>
/// <param name="Parameters">Model parameters.</param>
/// <param name="TokensPerSecond">SFT: trained tokens (batch × seq) per second, median step.</param>
/// <param name="PairsPerSecond">DPO: pairs per second of the training loop (reference log-probs precomputed).</param>
/// <param name="PairsPerSecondWithReference">DPO: pairs per second counting the one-time reference pass too (one epoch).</param>
/// <param name="PeakRssMb">VmHWM of the process that ran only this case.</param>
/// <param name="PaddingFraction">DPO: share of padding tokens in the bucketed batches.</param>
/// <param name="OptimizerStateMb">galore: the optimizer's state after the run (moments and projections), MB.</param>
/// <param name="AdamWStateMb">galore: what AdamW's two moments of the same trainable parameters take, MB.</param>
/// <param name="BaselineRssMb">VmRSS before the model was built (the .NET runtime, libtorch and its thread pools), MB;
/// PeakRssMb minus this is what the case's training itself took (weights, activations, gradients, optimizer).</param>
/// <param name="GeneratedTokensPerSecond">grpo: sampled tokens per second of the generation phase.</param>
/// <param name="StepsPerSecond">grpo: optimizer steps per second, each sampling, scoring and updating once.</param>
public sealed record TrainBenchResult(string Case, int Hidden, int Layers, long Parameters, int SeqLen, int Batch, int Steps,
                                      double? TokensPerSecond, double? PairsPerSecond, double? PairsPerSecondWithReference,
                                      double? PaddingFraction, double PeakRssMb, double? OptimizerStateMb = null, double? AdamWStateMb = null,
                                      double? BaselineRssMb = null, double? GeneratedTokensPerSecond = null, double? StepsPerSecond = null);

/// <summary>
/// Training throughput on fixed configs (tiny Llama d=256/4 layers and d=512/8 layers, seq 256, batch 8,
/// vocab 4096) through the trainers' own objectives: SFT steps (forward, backward, clip, AdamW) over full 256-token
/// rows; DPO over 64 pairs of seeded lengths (prompt 16–64, answers 8–(256 − prompt)), length-bucketed, chosen and
/// rejected in one forward, reference log-probs computed once beforehand. dora-512: the SFT step with DoRA adapters
/// (r 8, alpha 16, all-linear) on the frozen d=512 model; galore-512: the full-tuning SFT step with GaLore (rank 128,
/// every decoder-layer linear weight projected), reporting its optimizer state against AdamW's.
/// rejected in one forward, reference log-probs computed once beforehand. LoRA and QLoRA: SFT steps with adapters (r 8,
/// alpha 16, dropout 0.05, all linear layers; AdamW over the adapters only) on the d=512 model and on a larger one
/// (hidden 1024, 12 layers, intermediate 2816, batch 1 × 128 tokens); QLoRA holds the decoder projections NF4 with double
/// quantization, each quantized as soon as it is drawn; the -gc cases train the same with gradient checkpointing (each
/// decoder layer recomputed in backward), -gc9 checkpointing only the first 9 of the 12 layers. grpo-256: GRPO steps of the trainer's pieces on the d=256 model:
/// 4 prompts of 32 random tokens × 8 samples each, 64 new tokens sampled with the KV cache at temperature 1 (no EOS,
/// so every step has the same shapes), a token-count reward, group-normalized advantages, one forward/backward of the
/// 32 sequences with the dapo loss, clip 1.0, AdamW.
/// </summary>
public static class TrainBench
{
    public const int SeqLen = 256, Batch = 8, Vocab = 4096, DpoPairs = 64;
    /// <summary>Batch and sequence length of the larger (hidden 1024) LoRA/QLoRA cases: 128 tokens a step, the
    /// tokens per hidden unit of QLoRA's own memory measurement (LLaMA-7B, hidden 4096, batch 1 × 512 tokens), where the
    /// weights rather than the activations dominate what training holds.</summary>
    public const int LargeBatch = 1, LargeSeqLen = 128;
    /// <summary>Timed steps of the hidden-1024 cases: a step is short (about 1 s), and with 3 the same case varied by a
    /// fifth between runs on quiet cores.</summary>
    public const int LargeSteps = 12;
    public static readonly string[] Cases = ["sft-256", "dpo-256", "sft-512", "dpo-512", "dora-512", "galore-512", "lora-512", "qlora-512", "lora-1024", "qlora-1024", "lora-1024-gc", "qlora-1024-gc", "qlora-1024-gc9", "grpo-256"];
    /// <summary>The grpo case's shapes: prompts per step, samples per prompt (G), prompt and completion lengths.</summary>
    public const int GrpoPrompts = 4, GrpoGenerations = 8, GrpoPromptLength = 32, GrpoNewTokens = 64, GrpoSteps = 3;
    public const int GaloreRank = 128;

    /// <summary>Targets of the QLoRA cases against the LoRA ones on the larger model.</summary>
    public const double QloraRssTarget = 0.45, QloraSpeedTarget = 0.7;

    public static LlamaConfig Config(int hidden) => hidden switch
    {
        256 => TinyModels.Config("llama", vocab: Vocab, hidden: 256, layers: 4, heads: 8, kvHeads: 4, intermediate: 688),
        512 => TinyModels.Config("llama", vocab: Vocab, hidden: 512, layers: 8, heads: 8, kvHeads: 4, intermediate: 1376),
        _ => TinyModels.Config("llama", vocab: Vocab, hidden: 1024, layers: 12, heads: 16, kvHeads: 8, intermediate: 2816),
    };

    public static TrainBenchResult Run(string name, int? steps, string? profilePath = null)
    {
        if (!Cases.Contains(name)) throw new ArgumentException($"unknown case '{name}'; cases: {string.Join(", ", Cases)}");
        int hidden = int.Parse(name.Split('-')[1]);
        var config = Config(hidden);
        bool adapters = name.StartsWith("lora") || name.StartsWith("qlora");
        double baseline = RssMb("VmRSS:");
        using var g = new Generator(1234);
        using var model = LlamaForCausalLM.from_config(config, g, quantization: name.StartsWith("qlora") ? new QuantizationOptions() : null);
        long parameters = model.parameters().Sum(p => p.numel()) +
                          model.QuantizableLayers().Sum(l => l.layer.quantized is { } q ? q.OutFeatures * q.InFeatures : 0);
        if (adapters) LoraModel.add_adapters(model, new LoraConfig { R = 8, LoraAlpha = 16, LoraDropout = 0.05, TargetModules = [LoraConfig.AllLinear] }, g);
        int gc = name.IndexOf("-gc", StringComparison.Ordinal);   // -gc: every layer checkpointed; -gcK: the first K
        model.model.gradient_checkpointing = gc >= 0;
        if (gc >= 0 && name.Length > gc + 3) model.model.gradient_checkpointing_layers = int.Parse(name[(gc + 3)..]);
        manual_seed(0);
        if (name.StartsWith("dora", StringComparison.Ordinal))
            LoraModel.add_adapters(model, new LoraConfig { R = 8, LoraAlpha = 16, LoraDropout = 0, UseDora = true, TargetModules = [LoraConfig.AllLinear] }, g);
        if (name.StartsWith("grpo", StringComparison.Ordinal))
            return Grpo(name, model, config, parameters, steps ?? GrpoSteps, profilePath) with { BaselineRssMb = baseline };
        var result = name.StartsWith("dpo", StringComparison.Ordinal)
            ? Dpo(name, model, config, parameters, profilePath)
            : Sft(name, model, config, parameters, steps ?? (hidden == 1024 ? LargeSteps : 6), hidden == 1024 ? LargeBatch : Batch,
                  hidden == 1024 ? LargeSeqLen : SeqLen, profilePath);
        return result with { BaselineRssMb = baseline };
    }

    // AdamW over the trainable parameters, or for galore GaLoreAdamW with the decoder layers' linear weights projected.
    private static Optimizer NewOptimizer(string name, LlamaForCausalLM model)
    {
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        if (!name.StartsWith("galore", StringComparison.Ordinal)) return new AdamW(trainable.Select(p => p.parameter), lr: 1e-5);
        var targets = LoraModel.LinearLayers(model).Select(l => l.name + ".weight").ToHashSet();
        var groups = new[] { new ParamGroup(trainable.Where(p => !targets.Contains(p.name))), new ParamGroup(trainable.Where(p => targets.Contains(p.name))) };
        return new GaLoreAdamW(groups, [1], GaloreRank, update_proj_gap: 200, scale: 0.25, lr: 1e-5, eps: 1e-8);
    }

    private static TrainBenchResult Sft(string name, LlamaForCausalLM model, LlamaConfig config, long parameters, int steps, int batch, int seqLen,
                                        string? profilePath)
    {
        var rng = new SplitMix64(7);
        var rows = Enumerable.Range(0, batch).Select(_ =>
        {
            var ids = Enumerable.Range(0, seqLen).Select(_ => rng.NextInt(Vocab)).ToArray();
            return new SftFeatures(ids, ids.ToArray(), 0);
        }).ToList();
        var objective = new SftObjective(model, 0);
        double normalizer = rows.Sum(objective.Units);
        using var optimizer = NewOptimizer(name, model);
        var parametersList = model.parameters().Where(p => p.requires_grad).ToList();
        model.train();
        var times = new List<double>();
        for (int i = 0; i <= steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using (i == steps && profilePath is not null ? new OperatorProfile(profilePath) : null)   // the last step: the heap has reached its size
            using (NewDisposeScope())
            {
                var loss = objective.Loss(Enumerable.Range(0, batch).ToList(), rows, normalizer, new MetricSums(), training: true);
                loss.backward();
                nn.utils.clip_grad_norm_(parametersList, 1.0);
                optimizer.step();
                optimizer.zero_grad();
            }
            if (i > 0) times.Add(Stopwatch.GetElapsedTime(start).TotalSeconds);   // step 0 warms up
        }
        double median = TorchBench.Median(times.ToArray());
        double? stateMb = null, adamwMb = null;
        if (optimizer is GaLoreAdamW galore)
        {
            stateMb = galore.state_bytes() / 1048576.0;
            adamwMb = parametersList.Sum(p => 2 * p.numel() * p.element_size()) / 1048576.0;
        }
        return new TrainBenchResult(name, config.Hidden, config.Layers, parameters, seqLen, batch, steps, batch * seqLen / median, null, null, null,
                                    PeakRssMb(), stateMb, adamwMb);
    }

    private static TrainBenchResult Dpo(string name, LlamaForCausalLM model, LlamaConfig config, long parameters, string? profilePath)
    {
        var rng = new SplitMix64(11);
        int[] Draw(int n) => Enumerable.Range(0, n).Select(_ => rng.NextInt(Vocab)).ToArray();
        var pairs = Enumerable.Range(0, DpoPairs).Select(_ =>
        {
            int p = 16 + rng.NextInt(49);
            return new PreferenceFeatures(Draw(p), Draw(8 + rng.NextInt(SeqLen - p - 7)), Draw(8 + rng.NextInt(SeqLen - p - 7)), null, 0);
        }).ToList();
        var options = new DpoOptions { BatchSize = Batch };

        // The reference pass: once, before training, without gradients (the same weights play the starting policy).
        model.eval();
        long refStart = Stopwatch.GetTimestamp();
        var reference = ReferenceLogps.Compute(model, pairs.Select(f => (f.PromptIds, f.ChosenIds, f.PromptIds, f.RejectedIds)).ToList(), Batch, 0);
        double refSeconds = Stopwatch.GetElapsedTime(refStart).TotalSeconds;

        var objective = new DpoObjective(model, options, reference, 0);
        var sampler = new LengthBucketSampler(pairs.Select(f => f.Length).ToList(), Batch, 42);
        using var optimizer = new AdamW(model.parameters(), lr: 1e-6);
        var parametersList = model.parameters().ToList();
        model.train();
        void Step(int[] batch)
        {
            using var scope = NewDisposeScope();
            var loss = objective.Loss(batch, batch.Select(i => pairs[i]).ToList(), batch.Length, new MetricSums(), training: true);
            loss.backward();
            nn.utils.clip_grad_norm_(parametersList, 1.0);
            optimizer.step();
            optimizer.zero_grad();
        }
        var plan = sampler.Epoch(0);
        Step(plan[0]);                                   // warm-up (not counted)
        long start = Stopwatch.GetTimestamp();
        foreach (var batch in plan) Step(batch);
        double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
        // Profiled after the timed epoch (not counted): early steps still grow the heap, and their first-touch page
        // faults would show up as slow element-wise ops.
        if (profilePath is not null)
            using (new OperatorProfile(profilePath)) Step(plan[1]);
        return new TrainBenchResult(name, config.Hidden, config.Layers, parameters, SeqLen, Batch, plan.Count, null,
                                    DpoPairs / seconds, DpoPairs / (seconds + refSeconds), sampler.PaddingFraction(0), PeakRssMb());
    }

    private static TrainBenchResult Grpo(string name, LlamaForCausalLM model, LlamaConfig config, long parameters, int steps, string? profilePath)
    {
        var rng = new SplitMix64(13);
        var prompts = Enumerable.Range(0, GrpoPrompts).Select(_ => Enumerable.Range(0, GrpoPromptLength).Select(_ => (long)rng.NextInt(Vocab)).ToArray()).ToList();
        var batch = prompts.SelectMany(p => Enumerable.Repeat(p, GrpoGenerations)).ToList();
        var generation = new GenerationOptions { MaxNewTokens = GrpoNewTokens, DoSample = true, Temperature = 1.0, PadTokenId = 0 };
        using var sampling = new Generator(99);
        using var optimizer = new AdamW(model.parameters(), lr: 1e-6);
        var parametersList = model.parameters().ToList();
        model.eval();   // dropout off, as the GRPO trainer
        double generationSeconds = 0, stepSeconds = 0;
        long generated = 0;
        for (int i = 0; i <= steps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            using (i == steps && profilePath is not null ? new OperatorProfile(profilePath) : null)
            using (NewDisposeScope())
            {
                var outs = CausalLMGenerator.Generate(model, batch, generation, sampling);
                double sampled = Stopwatch.GetElapsedTime(start).TotalSeconds;
                var rewards = outs.Select(o => (double)o.Tokens.Count(t => t % 10 == 3)).ToArray();
                var (advantages, _) = GrpoMath.GroupAdvantages(rewards, GrpoGenerations, ScaleRewards.Group);
                var tokens = Collator.Build(batch.Select((p, k) => Collator.Join(p.Select(x => (int)x).ToArray(), outs[k].Tokens.Select(t => (int)t).ToArray())).ToList(), 0);
                long t = tokens.InputIds.size(1);
                var mask = tokens.Labels.narrow(1, 1, t - 1).ne(SequenceLogps.IgnoreIndex).to(float32);
                var (logprobs, _) = SamplingLogprobs.Of(model.forward(tokens.InputIds, tokens.AttentionMask).logits, tokens.Labels, generation);
                var loss = GrpoMath.Loss(logprobs, logprobs.detach(), null, tensor(advantages).to(float32), mask, 0.2, 0.2, 0, GrpoLossType.Dapo,
                                         GrpoNewTokens, mask.sum().item<double>()).Loss;
                loss.backward();
                nn.utils.clip_grad_norm_(parametersList, 1.0);
                optimizer.step();
                optimizer.zero_grad();
                if (i > 0)   // step 0 warms up
                {
                    generationSeconds += sampled;
                    generated += outs.Sum(o => o.Tokens.Length);
                }
            }
            if (i > 0) stepSeconds += Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        return new TrainBenchResult(name, config.Hidden, config.Layers, parameters, GrpoPromptLength + GrpoNewTokens, GrpoPrompts * GrpoGenerations, steps,
                                    null, null, null, null, PeakRssMb(), GeneratedTokensPerSecond: generated / generationSeconds, StepsPerSecond: steps / stepSeconds);
    }

    /// <summary>VmHWM (peak resident set) of this process, in MB.</summary>
    public static double PeakRssMb() => RssMb("VmHWM:");

    // A /proc/self/status line's kB value, in MB.
    private static double RssMb(string field)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith(field, StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024.0;
        return double.NaN;
    }
}
