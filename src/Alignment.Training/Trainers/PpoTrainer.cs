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
/// <para>Data parallel: a step's batch_size × processes prompts are shared out; each rank samples, scores and takes
/// log-probs and values for its share, the advantages are whitened over every rank's tokens, and the scores, KL and
/// lengths are summed into the whole batch's for the adaptive KL and the logged metrics. Each minibatch of
/// mini_batch_size × processes rollouts is the shared seeded shuffle's, every rank's loss scaled to its share of the
/// minibatch's tokens and DDP summing the gradients.</para>
/// </summary>
public static class PpoTrainer
{
    public const string Stage = "ppo";

    /// <param name="scorer">Scores completions; null = the reward_model option's reward model, or reward_funcs.</param>
    /// <param name="factory">Makes reward_funcs entries of kinds this layer does not know (rules:FILE).</param>
    public static RunResult Run(PpoOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null, ISequenceScorer? scorer = null,
                                WeightedRewards.Factory? factory = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress, dataParallel: true);
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
            using var sampling = new Generator(options.Seed ^ 0x5EED ^ ((ulong)session.Parallel.Rank * 0x9E3779B97F4A7C15UL));
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
        var dp = session.Parallel;
        int mini = o.MiniBatchSize > 0 ? o.MiniBatchSize : o.BatchSize;
        int globalBatch = o.BatchSize * dp.WorldSize;
        if (dp.Enabled && prompts.Count < globalBatch)
            throw new TrainingException($"{o.Data}: {prompts.Count} prompts are fewer than batch_size × processes ({globalBatch}); every process needs its batch_size prompts");
        var sampler = new LengthBucketSampler(prompts.Select(p => p.Length).ToList(), globalBatch, o.Seed, dropLast: prompts.Count >= globalBatch);
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
            RngState.Restore(sampling, r.RankSamplingRngStates is { } states ? states[dp.Rank] : r.SamplingRngState);
            kl.Value = r.Scalars.GetValueOrDefault("kl_coef", o.KlCoef);
        }
        dp.Attach(parameters);

        int step = session.Resumed?.GlobalStep ?? 0;
        var cursor = new BatchCursor(sampler, session.Resumed);
        model.Module.eval();    // no dropout: the rollout's log-probs are those the first update sees
        hooks?.OnStart?.Invoke(model.Module);
        progress.Start(session.Stage, step, total);
        var clock = new Stopwatch();
        while (step < total)
        {
            var planned = cursor.Next();
            int current = step + 1;
            clock.Restart();
            double klCoef = kl.Value, lr = optimizer.param_groups[0].lr;
            var stats = new MetricSums();
            PpoRollout rollout;
            // This rank's rollout k is rollout globalRow[k] of the whole batch; Whole() gives every rank the whole batch's values.
            var mine = dp.Shard(planned);
            int batchRows = planned.Length;
            var globalRow = Enumerable.Range(0, mine.Length).Select(k => dp.Rank + dp.WorldSize * k).ToArray();
            double[] Whole(IEnumerable<double> local) => dp.Sum(local.Select((v, k) => (k, v)).Aggregate(new double[batchRows], (a, kv) => { a[globalRow[kv.k]] = kv.v; return a; }));
            double valueMean;
            using (var stepScope = NewDisposeScope())
            {
                var batchPrompts = mine.Select(i => prompts[i]).ToList();
                var sampled = o.SamplingPerPrompt
                    ? mine.SelectMany(i => PromptSampling.Sample(policy.pretrained_model, prompts[i], i, current, 1, generation, o.Seed)).ToList()
                    : null;
                rollout = PpoRollout.Collect(policy, reference, batchPrompts, generation, sampling, scorer, o, klCoef, pad, sampled, dp);
                double tokens = rollout.Mask.sum().item<double>();
                var valueSums = dp.Sum(rollout.ValueMean * tokens, tokens);
                valueMean = dp.Enabled ? valueSums[0] / valueSums[1] : rollout.ValueMean;
                var rows = new SplitMix64(o.Seed ^ ((ulong)current * 0x9E3779B97F4A7C15UL));
                var localRow = globalRow.Select((j, k) => (j, k)).ToDictionary(x => x.j, x => x.k);
                for (int ppoEpoch = 0; ppoEpoch < o.PpoEpochs; ppoEpoch++)
                {
                    var order = Enumerable.Range(0, batchRows).ToArray();
                    rows.Shuffle(order);
                    foreach (var chunk in order.Chunk(mini * dp.WorldSize))
                        Update(policy, rollout, chunk.Where(localRow.ContainsKey).Select(j => localRow[j]).ToArray(), o, parameters, optimizer, scheduler, stats, current, session);
                }
                stats.Reduce(dp.Sum);
            }
            var scores = Whole(rollout.Scores);
            var klPerSequence = Whole(rollout.KlPerSequence);
            var nonScore = Whole(rollout.NonScorePerSequence);
            var lengths = Whole(rollout.CompletionLengths.Select(x => (double)x));
            var eos = Whole(rollout.EndedWithEos.Select(x => x ? 1.0 : 0.0));
            var rewardMetrics = (scorer as PromptRewardScorer)?.Last is { } last
                ? new RewardScores(Whole(last.Total), last.PerFunction.Select(f => (f.Name, Whole(f.Scores))).ToList()).Metrics().ToList()
                : [];
            if (o.AdaptiveKl) kl.Update(klPerSequence.Average(), batchRows);
            step = current;
            cursor.Advance();

            double meanScore = scores.Average();
            if (!double.IsFinite(meanScore)) throw new NonFiniteLossException(step, "reward score", session.LastCheckpoint);
            var means = stats.Means().ToDictionary(kv => kv.Key, kv => kv.Value);
            if (step % o.LoggingSteps == 0 || step == total)
            {
                session.Log(new List<KeyValuePair<string, double>>
                {
                    new("step", step), new("epoch", (double)step / perEpoch), new("loss", means["loss"]), new("learning_rate", lr),
                    new("grad_norm", means["grad_norm"]),
                    new("objective/kl", klPerSequence.Average()), new("objective/scores", meanScore),
                    new("objective/non_score_reward", nonScore.Average()),
                    new("objective/rlhf_reward", meanScore + nonScore.Average()),
                    new("policy/clipfrac", means["policy/clipfrac"]), new("policy/approxkl", means["policy/approxkl"]),
                    new("val/clipfrac", means["val/clipfrac"]), new("val/mean", valueMean),
                    new("loss/policy", means["loss/policy"]), new("loss/value", means["loss/value"]), new("kl_coef", klCoef),
                    new("completions/mean_length", lengths.Average()),
                    new("completions/eos_fraction", eos.Sum() / batchRows),
                    new("tokens_per_second", lengths.Sum() / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)),
                }.Concat(rewardMetrics));
            }
            progress.Step(step, means["loss"]);
            bool stopping = hooks?.StopAfterStep == step;
            if (session.CheckpointDue(step, total))
            {
                var state = session.State(step, total, cursor.Epoch, cursor.BatchInEpoch, RngState.Capture(sampling), new() { ["kl_coef"] = kl.Value });
                progress.Message($"checkpoint {session.SaveCheckpoint(model, state)}");
            }
            hooks?.OnStepEnd?.Invoke(step, model.Module);
            if (stopping && step < total) return new RunResult(step, total, true, session.History);
        }
        session.WriteFinal(model);
        progress.Finish();
        return new RunResult(step, total, false, session.History);
    }

    /// <summary>One update on this rank's <paramref name="rows"/> of a minibatch (data parallel: the loss scaled to this
    /// rank's share of the minibatch's tokens, DDP summing the gradients; a rank with no rows takes part with zero).</summary>
    private static void Update(CausalLMWithValueHead policy, PpoRollout r, int[] rows, PpoOptions o, List<Parameter> parameters,
                               optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler scheduler, MetricSums stats, int step, RunSession session)
    {
        using var scope = NewDisposeScope();
        var dp = session.Parallel;
        bool none = rows.Length == 0;
        var index = tensor((none ? new[] { 0 } : rows).Select(x => (long)x).ToArray());
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
        double weight = 1;   // this rank's share of the minibatch's tokens (both losses are means over them)
        if (dp.Enabled)
        {
            double tokens = none ? 0 : mask.sum().item<double>(), allTokens = dp.Sum(tokens)[0];
            weight = allTokens > 0 ? tokens / allTokens : 0;
            loss = loss * weight;
        }
        double value = loss.item<double>();
        if (!double.IsFinite(value)) throw new NonFiniteLossException(step, "loss", session.LastCheckpoint);
        dp.SyncNextBackward(loss);
        dp.Backward(loss);
        double norm = nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
        if (!double.IsFinite(norm)) throw new NonFiniteLossException(step, "gradient norm", session.LastCheckpoint);
        optimizer.step();
        scheduler.step();
        optimizer.zero_grad();
        // Summed over the ranks after the step: the loss's shares add up; the token means are weighted by each rank's share.
        double each = 1.0 / dp.WorldSize;
        stats.Add("loss", value, each);
        stats.Add("grad_norm", norm * each, each);
        stats.Add("loss/policy", pg.item<double>() * weight, each);
        stats.Add("loss/value", vf.item<double>() * weight, each);
        stats.Add("policy/clipfrac", clipfrac.item<double>() * weight, each);
        stats.Add("policy/approxkl", approxkl.item<double>() * weight, each);
        stats.Add("val/clipfrac", vclip.item<double>() * weight, each);
    }
}
