using System.Diagnostics;
using Alignment.Models.Generation;
using Alignment.Models.Heads;
using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Losses;
using Alignment.Training.Rewards;
using Alignment.Training.Runtime;
using Alignment.Training.State;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Training.Trainers;

/// <summary>
/// PPO for language models (as TRL's PPO trainer does it): each step samples completions for a batch of prompts with the KV-cache
/// generator, scores them with the reward model (minus missing_eos_penalty when no EOS was produced), builds per-token
/// rewards −kl_coef·KL (k1 or k3 against the frozen reference) plus the score at the last token, runs GAE and whitens
/// the advantages, then optimizes the clipped policy loss + vf_coef·clipped value loss for ppo_epochs passes over
/// shuffled minibatches (one AdamW update each).
/// <para>The critic SHARES the policy's trunk: a value head (TRL's v_head layout) on the policy's final hidden states,
/// as TRL's AutoModelForCausalLMWithValueHead. The frozen reference is a second copy of the starting model, resident
/// during training (its log-probs depend on the fresh samples, so they cannot be precomputed) — except for a LoRA
/// policy, whose base weights never change: its reference is the policy itself with the adapters switched off. Dropout is off (eval
/// mode) so the rollout's log-probs and the first update's agree. Exact resume covers the sampling generator and the
/// adaptive KL coefficient.</para>
/// </summary>
public static class PpoTrainer
{
    public const string Stage = "ppo";

    /// <param name="scorer">Scores completions; null = the reward_model option's reward model, or reward_funcs.</param>
    /// <param name="factory">Makes reward_funcs entries of kinds this layer does not know (rules:FILE).</param>
    public static RunResult Run(PpoOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null, ISequenceScorer? scorer = null,
                                WeightedRewards.Factory? factory = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress);
        (var session, var config, var tok, var template, var pad, progress) = start;
        var rows = PromptSet.Load(options.Data!, options.MaxPromptLength, tok, template, config.Vocab);
        var prompts = rows.Select(p => p.Ids).ToList();
        var eos = new HashSet<long>(StageData.StopIds(config, tok, template));
        var generation = new GenerationOptions
        {
            MaxNewTokens = options.MaxNewTokens, DoSample = true, Temperature = options.Temperature, TopK = options.TopK, TopP = options.TopP,
            EosTokenIds = eos.ToArray(), PadTokenId = pad,
        };

        RewardModelScorer? owned = null;
        WeightedRewards? weighted = null;
        if (scorer is null && !string.IsNullOrWhiteSpace(options.RewardFuncs))
        {
            weighted = WeightedRewards.Build(options.RewardFuncs, options.RewardWeights, TrainableModel.ParseDtype(options.Dtype), pad, options.BatchSize, factory);
            scorer = new PromptRewardScorer(weighted, rows, ids => tok.Decode(ids.Where(t => !eos.Contains(t)).ToArray(), skipSpecialTokens: true));
        }
        else if (scorer is null)
        {
            if (string.IsNullOrWhiteSpace(options.RewardModel)) throw new ConfigException("option 'reward_model' (or 'reward_funcs') is required: a reward model folder (align train rm)");
            owned = RewardModelScorer.Load(options.RewardModel, TrainableModel.ParseDtype(options.Dtype), pad, options.BatchSize);
        }
        try
        {
            using var init = new Generator(options.Seed);
            using var model = TrainableModel.WithValueHead(options, init);
            // A LoRA policy's frozen base is the reference (adapters switched off): no second copy in memory.
            using var reference = model.Finetuning == FinetuningType.Lora
                ? null
                : LlamaForCausalLM.from_pretrained(options.Model!, TrainableModel.ParseDtype(options.Dtype));
            reference?.eval();
            reference?.requires_grad_(false);
            using var sampling = new Generator(options.Seed ^ 0x5EED);
            return Loop(session, model, reference, prompts, generation, sampling, scorer ?? owned!, pad, progress, hooks);
        }
        finally
        {
            owned?.Dispose();
            weighted?.Dispose();
        }
    }

    private static RunResult Loop(RunSession session, TrainableModel model, LlamaForCausalLM? reference, List<int[]> prompts, GenerationOptions generation,
                                  Generator sampling, ISequenceScorer scorer, int pad, ITrainingProgress progress, RunHooks? hooks)
    {
        var o = (PpoOptions)session.Options;
        var policy = (CausalLMWithValueHead)model.Module;
        int mini = o.MiniBatchSize > 0 ? o.MiniBatchSize : o.BatchSize;
        var sampler = new LengthBucketSampler(prompts.Select(p => p.Length).ToList(), o.BatchSize, o.Seed, dropLast: prompts.Count >= o.BatchSize);
        int perEpoch = sampler.BatchesPerEpoch;
        int total = o.MaxSteps > 0 ? o.MaxSteps : o.Epochs * perEpoch;
        int updatesPerStep = o.PpoEpochs * (int)Math.Ceiling(o.BatchSize / (double)mini);
        if (session.Resumed is null) manual_seed(o.Seed);
        session.CreateOptimizer(model, total * updatesPerStep);
        var optimizer = session.Optimizer!;
        var scheduler = session.Scheduler!;
        var parameters = model.Trainable().Select(p => p.parameter).ToList();
        var kl = new AdaptiveKlController(o.KlCoef, o.KlTarget, o.KlHorizon);
        if (session.Resumed is { } r)
        {
            if (r.SamplingRngState is null) throw new TrainingException($"cannot resume from {session.ResumeDir}: the checkpoint has no sampling generator state");
            RngState.Restore(sampling, r.SamplingRngState);
            kl.Value = r.Scalars.GetValueOrDefault("kl_coef", o.KlCoef);
        }

        int step = session.Resumed?.GlobalStep ?? 0, epoch = session.Resumed?.Epoch ?? 0, batchInEpoch = session.Resumed?.BatchInEpoch ?? 0;
        var plan = sampler.Epoch(epoch);
        model.Module.eval();    // no dropout: the rollout's log-probs are those the first update sees
        hooks?.OnStart?.Invoke(model.Module);
        progress.Start(session.Stage, step, total);
        var clock = new Stopwatch();
        while (step < total)
        {
            if (batchInEpoch >= plan.Count)
            {
                epoch++;
                batchInEpoch = 0;
                plan = sampler.Epoch(epoch);
            }
            int current = step + 1;
            clock.Restart();
            double klCoef = kl.Value, lr = optimizer.param_groups[0].lr;
            var stats = new MetricSums();
            PpoRollout rollout;
            using (var stepScope = NewDisposeScope())
            {
                var batchPrompts = plan[batchInEpoch].Select(i => prompts[i]).ToList();
                rollout = PpoRollout.Collect(policy, reference, batchPrompts, generation, sampling, scorer, o, klCoef, pad);
                var rows = new SplitMix64(o.Seed ^ ((ulong)current * 0x9E3779B97F4A7C15UL));
                for (int ppoEpoch = 0; ppoEpoch < o.PpoEpochs; ppoEpoch++)
                {
                    var order = Enumerable.Range(0, rollout.Count).ToArray();
                    rows.Shuffle(order);
                    foreach (var chunk in order.Chunk(mini))
                        Update(policy, rollout, chunk, o, parameters, optimizer, scheduler, stats, current, session);
                }
            }
            if (o.AdaptiveKl) kl.Update(rollout.KlPerSequence.Average(), rollout.Count);
            step = current;
            batchInEpoch++;

            double meanScore = rollout.Scores.Average();
            if (!double.IsFinite(meanScore)) throw new NonFiniteLossException(step, "reward score", session.LastCheckpoint);
            var means = stats.Means().ToDictionary(kv => kv.Key, kv => kv.Value);
            if (step % o.LoggingSteps == 0 || step == total)
            {
                session.Log(new List<KeyValuePair<string, double>>
                {
                    new("step", step), new("epoch", (double)step / perEpoch), new("loss", means["loss"]), new("learning_rate", lr),
                    new("grad_norm", means["grad_norm"]),
                    new("objective/kl", rollout.KlPerSequence.Average()), new("objective/scores", meanScore),
                    new("objective/non_score_reward", rollout.NonScorePerSequence.Average()),
                    new("objective/rlhf_reward", meanScore + rollout.NonScorePerSequence.Average()),
                    new("policy/clipfrac", means["policy/clipfrac"]), new("policy/approxkl", means["policy/approxkl"]),
                    new("val/clipfrac", means["val/clipfrac"]), new("val/mean", rollout.ValueMean),
                    new("loss/policy", means["loss/policy"]), new("loss/value", means["loss/value"]), new("kl_coef", klCoef),
                    new("completions/mean_length", rollout.CompletionLengths.Average()),
                    new("completions/eos_fraction", rollout.EndedWithEos.Count(x => x) / (double)rollout.Count),
                    new("tokens_per_second", rollout.CompletionLengths.Sum() / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)),
                }.Concat((scorer as PromptRewardScorer)?.Last?.Metrics() ?? []));
            }
            progress.Step(step, means["loss"]);
            bool stopping = hooks?.StopAfterStep == step;
            if (session.CheckpointDue(step, total))
            {
                var state = session.State(step, total, epoch, batchInEpoch, RngState.Capture(sampling), new() { ["kl_coef"] = kl.Value });
                progress.Message($"checkpoint {session.SaveCheckpoint(model, state)}");
            }
            hooks?.OnStepEnd?.Invoke(step, model.Module);
            if (stopping && step < total) return new RunResult(step, total, true, session.History);
        }
        session.Store.WriteFinal(model.SaveFinal);
        progress.Finish();
        return new RunResult(step, total, false, session.History);
    }

    private static void Update(CausalLMWithValueHead policy, PpoRollout r, int[] rows, PpoOptions o, List<Parameter> parameters,
                               optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler scheduler, MetricSums stats, int step, RunSession session)
    {
        using var scope = NewDisposeScope();
        var index = tensor(rows.Select(x => (long)x).ToArray());
        var ids = r.InputIds.index_select(0, index);
        var attention = r.AttentionMask.index_select(0, index);
        var labels = r.Labels.index_select(0, index);
        var mask = r.Mask.index_select(0, index);
        long t = ids.size(1);
        var output = policy.forward(ids, attention);
        var logprobs = SamplingLogprobs.Of(output.logits, labels, r.Sampling, r.Keep?.index_select(0, index)).logprobs;
        var values = output.values.narrow(1, 0, t - 1).to(float32);
        var (pg, clipfrac, approxkl) = PpoMath.PolicyLoss(logprobs, r.OldLogprobs.index_select(0, index), r.Advantages.index_select(0, index), mask, o.Cliprange);
        var (vf, vclip) = PpoMath.ValueLoss(values, r.OldValues.index_select(0, index), r.Returns.index_select(0, index), mask, o.CliprangeValue);
        var loss = pg + o.VfCoef * vf;
        double value = loss.item<double>();
        if (!double.IsFinite(value)) throw new NonFiniteLossException(step, "loss", session.LastCheckpoint);
        loss.backward();
        double norm = nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
        if (!double.IsFinite(norm)) throw new NonFiniteLossException(step, "gradient norm", session.LastCheckpoint);
        optimizer.step();
        scheduler.step();
        optimizer.zero_grad();
        stats.Add("loss", value, 1);
        stats.Add("grad_norm", norm, 1);
        stats.Add("loss/policy", pg.item<double>(), 1);
        stats.Add("loss/value", vf.item<double>(), 1);
        stats.Add("policy/clipfrac", clipfrac.item<double>(), 1);
        stats.Add("policy/approxkl", approxkl.item<double>(), 1);
        stats.Add("val/clipfrac", vclip.item<double>(), 1);
    }
}
