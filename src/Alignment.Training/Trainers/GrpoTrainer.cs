using System.Diagnostics;
using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Losses;
using Alignment.Training.Rewards;
using Alignment.Training.Runtime;
using Alignment.Training.State;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Training.Trainers;

/// <summary>
/// GRPO (Shao et al. 2024) as TRL's GRPOTrainer does it, and RLOO on the same loop. Each step takes batch_size prompts,
/// samples num_generations completions of each with the KV-cache generator, scores them with the weighted reward
/// functions, turns the rewards into per-completion advantages (group-normalized for GRPO, leave-one-out for RLOO), and
/// runs num_iterations passes of the clipped surrogate over the generation batch in minibatches (one AdamW update each).
/// No value model. Log-probs are taken under the processed distribution the sampler used (temperature, top-k, top-p).
/// <para>The reference is needed only when beta &gt; 0 (k3 KL per token); a LoRA policy's reference is the policy with its
/// adapters switched off, a full or freeze fine-tune loads a second, frozen copy. Dropout is off (eval mode) so the
/// sampling log-probs and the first update's agree. Exact resume: the checkpoint holds the sampling generator and the
/// position of the next generation batch.</para>
/// <para>Data parallel: a step's batch_size × processes prompts are shared out whole (a group stays on one rank); each
/// rank samples, scores and computes log-probs for its groups; the rewards, lengths and truncation flags are summed into
/// the whole batch's on every rank, so advantages (scale_rewards batch, RLOO's normalization) and logged metrics are the
/// single-process ones; each minibatch of mini_batch_size × processes rows is the shared seeded shuffle's, every rank
/// updating on its rows with the loss scaled to its share of the minibatch's normalizer and DDP summing the gradients.
/// Each rank samples with its own generator (rank 0's is the single process's), or per prompt (sampling_per_prompt).</para>
/// </summary>
public static class GrpoTrainer
{
    public const string Stage = "grpo";

    /// <param name="factory">Makes reward functions of kinds this layer does not know (rules:FILE).</param>
    /// <param name="rewards">Reward functions to use instead of reward_funcs (weighted by reward_weights).</param>
    public static RunResult Run(GrpoOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null,
                                WeightedRewards.Factory? factory = null, IReadOnlyList<IRewardFunction>? rewards = null) =>
        options is RlooOptions
            ? throw new ArgumentException("RLOO options run through RlooTrainer")
            : Run(Stage, options, outputDir, Advantages.Group, progress, hooks, factory, rewards);

    /// <summary>How rewards become advantages.</summary>
    public enum Advantages
    {
        Group,
        LeaveOneOut,
    }

    internal static RunResult Run(string stage, GrpoOptions options, string outputDir, Advantages kind, ITrainingProgress? progress, RunHooks? hooks,
                                  WeightedRewards.Factory? factory, IReadOnlyList<IRewardFunction>? rewards)
    {
        using var start = TrainerStart.Open(stage, options, outputDir, progress, dataParallel: true);
        (var session, var config, var tok, var template, var pad, progress) = start;
        var prompts = PromptSet.Load(options.Data!, options.MaxPromptLength, tok, template, config.Vocab);
        var eos = new HashSet<long>(StageData.StopIds(config, tok, template));
        var generation = new GenerationOptions
        {
            MaxNewTokens = options.MaxCompletionLength, DoSample = true, Temperature = options.Temperature, TopK = options.TopK, TopP = options.TopP,
            EosTokenIds = eos.ToArray(), PadTokenId = pad,
        };
        using var weighted = rewards is not null
            ? new WeightedRewards(rewards, WeightedRewards.ParseWeights(options.RewardWeights))
            : WeightedRewards.Build(options.RewardFuncs, options.RewardWeights, TrainableModel.ParseDtype(options.Dtype), pad, options.BatchSize, factory);
        using var init = new Generator(options.Seed);
        using var model = TrainableModel.CausalLm(options, init);
        using var reference = options.Beta == 0 || model.Finetuning == FinetuningType.Lora
            ? null
            : LlamaForCausalLM.from_pretrained(options.Model!, TrainableModel.ParseDtype(options.Dtype));
        reference?.eval();
        reference?.requires_grad_(false);
        using var sampling = new Generator(options.Seed ^ 0x5EED ^ ((ulong)session.Parallel.Rank * 0x9E3779B97F4A7C15UL));
        var text = new Func<long[], string>(ids => tok.Decode(ids.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray(), skipSpecialTokens: true));
        return Loop(session, model, reference, prompts, generation, sampling, weighted, text, kind, pad, progress, hooks);
    }

    private static RunResult Loop(RunSession session, TrainableModel model, LlamaForCausalLM? reference, List<PromptRow> prompts, GenerationOptions generation,
                                  Generator sampling, WeightedRewards rewards, Func<long[], string> decode, Advantages kind, int pad,
                                  ITrainingProgress progress, RunHooks? hooks)
    {
        var o = (GrpoOptions)session.Options;
        var policy = (LlamaForCausalLM)model.Module;
        var dp = session.Parallel;
        int g = o.NumGenerations, completions = o.BatchSize * g;
        int mini = o.MiniBatchSize > 0 ? o.MiniBatchSize : completions;
        int globalPrompts = o.BatchSize * dp.WorldSize;
        if (dp.Enabled && prompts.Count < globalPrompts)
            throw new TrainingException($"{o.Data}: {prompts.Count} prompts are fewer than batch_size × processes ({globalPrompts}); every process needs its batch_size prompts");
        var sampler = new LengthBucketSampler(prompts.Select(p => p.Ids.Length).ToList(), globalPrompts, o.Seed, dropLast: prompts.Count >= globalPrompts);
        int perEpoch = sampler.BatchesPerEpoch;
        int total = o.MaxSteps > 0 ? o.MaxSteps : o.Epochs * perEpoch;
        if (session.Resumed is null) manual_seed(o.Seed);
        session.CreateOptimizer(model, total * o.NumIterations * (int)Math.Ceiling(completions / (double)mini));
        var optimizer = session.Optimizer!;
        var scheduler = session.Scheduler!;
        var parameters = model.Trainable().Select(p => p.parameter).ToList();
        if (session.Resumed is { } r)
        {
            if (r.SamplingRngState is null) throw new TrainingException($"cannot resume from {session.ResumeDir}: the checkpoint has no sampling generator state");
            RngState.Restore(sampling, r.RankSamplingRngStates is { } states ? states[dp.Rank] : r.SamplingRngState);
        }
        dp.Attach(parameters);

        int step = session.Resumed?.GlobalStep ?? 0;
        var cursor = new BatchCursor(sampler, session.Resumed);
        model.Module.eval();
        hooks?.OnStart?.Invoke(model.Module);
        progress.Start(session.Stage, step, total);
        var clock = new Stopwatch();
        while (step < total)
        {
            var planned = cursor.Next();
            int current = step + 1;
            clock.Restart();
            double lr = optimizer.param_groups[0].lr;
            var stats = new MetricSums();
            var record = new List<KeyValuePair<string, double>>();
            using (NewDisposeScope())
            {
                var mine = dp.Shard(planned);
                var batch = mine.SelectMany(i => Enumerable.Repeat(prompts[i], g)).ToList();   // prompt j's samples at j·G .. j·G + G − 1
                int batchCompletions = planned.Length * g;   // the epoch's last batch may hold fewer than batch_size prompts
                // Row k of this rank's batch is row globalRow[k] of the whole batch (its prompt is every WorldSize-th).
                var globalRow = Enumerable.Range(0, batch.Count).Select(k => (dp.Rank + dp.WorldSize * (k / g)) * g + k % g).ToArray();
                double[] Whole(IEnumerable<double> local) => dp.Whole(local, globalRow, batchCompletions);
                var outs = o.SamplingPerPrompt
                    ? mine.SelectMany(i => PromptSampling.Sample(policy, prompts[i].Ids, i, current, g, generation, o.Seed)).ToList()
                    : CausalLMGenerator.Generate(policy, batch.Select(p => p.Ids.Select(x => (long)x).ToArray()).ToList(), generation, sampling);
                var inputs = batch.Select((p, k) => new RewardInput(p.Text, decode(outs[k].Tokens), p.Ids, outs[k].Tokens.Select(t => (int)t).ToArray())).ToList();
                var localScores = rewards.Score(inputs);
                var scores = new RewardScores(Whole(localScores.Total), localScores.PerFunction.Select(f => (f.Name, Whole(f.Scores))).ToList());
                var truncated = Whole(outs.Select(x => x.FinishReason == FinishReason.Length ? 1.0 : 0.0)).Select(x => x > 0).ToArray();
                var rollout = Rollout(policy, reference, batch, outs, generation, globalRow.Select(j => truncated[j]).ToArray(), o, mini, pad,
                                      needOld: kind == Advantages.LeaveOneOut && o.Beta > 0);
                rollout = rollout with { Tokens = dp.Sum(rollout.Tokens)[0] };
                double[] advantages, groupStd;
                if (kind == Advantages.Group)
                {
                    (advantages, groupStd) = GrpoMath.GroupAdvantages(scores.Total, g, o.ScaleRewards);
                }
                else
                {
                    // RLOO: the KL penalty is part of the reward (β·Σₜ k1 per completion, under the sampling policy).
                    var shaped = scores.Total.ToArray();
                    if (o.Beta > 0)
                    {
                        var kl = Whole(((rollout.OldLogprobs! - rollout.RefLogprobs!) * rollout.Mask).sum(1).to(float64).data<double>());
                        for (int i = 0; i < shaped.Length; i++) shaped[i] -= o.Beta * kl[i];
                        record.Add(new("objective/non_score_reward", -o.Beta * kl.Average()));
                    }
                    advantages = GrpoMath.LeaveOneOutAdvantages(shaped, g);
                    if (((RlooOptions)o).NormalizeAdvantages) advantages = Normalize(advantages);
                    groupStd = Enumerable.Range(0, shaped.Length).Select(i => RewardScores.Std(scores.Total.Skip(i / g * g).Take(g).ToList())).ToArray();
                }
                rollout = rollout with { Advantages = tensor(globalRow.Select(j => advantages[j]).ToArray()).to(float32) };
                if (o.SftAlpha > 0)
                {
                    // RAFT-style NLL on each group's best completions, ranked by the score (not the KL-shaped reward); the
                    // normalizer is the selected tokens of the whole generation batch, over every rank.
                    var best = GrpoMath.GroupBest(scores.Total, g);
                    var selected = tensor(globalRow.Select(j => best[j] ? 1f : 0f).ToArray());
                    rollout = rollout with { SftSelected = selected, SftTokens = dp.Sum((rollout.Mask * selected.unsqueeze(1)).sum().item<double>())[0] };
                }
                var rows = new SplitMix64(o.Seed ^ ((ulong)current * 0x9E3779B97F4A7C15UL));
                var localRow = globalRow.Select((j, k) => (j, k)).ToDictionary(x => x.j, x => x.k);
                for (int iteration = 0; iteration < o.NumIterations; iteration++)
                {
                    var order = Enumerable.Range(0, batchCompletions).ToArray();
                    if (mini * dp.WorldSize < batchCompletions) rows.Shuffle(order);
                    foreach (var chunk in order.Chunk(mini * dp.WorldSize))
                        Update(policy, rollout, chunk.Where(localRow.ContainsKey).Select(j => localRow[j]).ToArray(), chunk.Length, o,
                               kind == Advantages.Group ? o.Beta : 0, parameters, optimizer, scheduler, stats, current, session);
                }
                stats.Reduce(dp.Sum);
                var lengths = Whole(outs.Select(x => (double)x.Tokens.Length));
                var means = stats.Means().ToDictionary(kv => kv.Key, kv => kv.Value);
                record.InsertRange(0, new KeyValuePair<string, double>[]
                {
                    new("step", current), new("epoch", (double)current / perEpoch), new("loss", means["loss"]), new("learning_rate", lr),
                    new("grad_norm", means["grad_norm"]),
                    new("reward", scores.Total.Average()),
                    new("reward_std", groupStd.Where((_, i) => i % g == 0).Average()),
                    new("frac_reward_zero_std", groupStd.Where((_, i) => i % g == 0).Count(s => s == 0) / (double)(batchCompletions / g)),
                });
                record.AddRange(scores.Metrics());
                record.AddRange(new KeyValuePair<string, double>[]
                {
                    new("completions/mean_length", lengths.Average()), new("completions/min_length", lengths.Min()), new("completions/max_length", lengths.Max()),
                    new("completions/clipped_ratio", truncated.Count(x => x) / (double)batchCompletions),
                    new("entropy", means["entropy"]),
                    new("clip_ratio/low_mean", means["clip_ratio/low_mean"]), new("clip_ratio/high_mean", means["clip_ratio/high_mean"]),
                    new("clip_ratio/region_mean", means["clip_ratio/region_mean"]),
                });
                if (o.Beta > 0) record.Add(new("kl", means["kl"]));
                if (o.SftAlpha > 0) record.Add(new("nll_loss", means["nll_loss"]));
                record.Add(new("tokens_per_second", lengths.Sum() / Math.Max(clock.Elapsed.TotalSeconds, 1e-9)));
            }
            step = current;
            cursor.Advance();
            double loss = record.First(kv => kv.Key == "loss").Value;
            if (step % o.LoggingSteps == 0 || step == total) session.Log(record);
            progress.Step(step, loss);
            bool stopping = hooks?.StopAfterStep == step;
            if (session.CheckpointDue(step, total))
            {
                var state = session.State(step, total, cursor.Epoch, cursor.BatchInEpoch, RngState.Capture(sampling));
                progress.Message($"checkpoint {session.SaveCheckpoint(model, state)}");
            }
            hooks?.OnStepEnd?.Invoke(step, model.Module);
            if (stopping && step < total) return new RunResult(step, total, true, session.History);
        }
        session.WriteFinal(model);
        progress.Finish();
        return new RunResult(step, total, false, session.History);
    }

    /// <summary>A generation batch ready for updates: sequences, masks, advantages, and — when an update will not see the
    /// sampling policy's own weights (num_iterations &gt; 1 or several minibatches) — the sampling log-probs; the
    /// reference log-probs when beta &gt; 0.</summary>
    private sealed record Batch(Tensor InputIds, Tensor AttentionMask, Tensor Labels, Tensor Mask, Tensor? OldLogprobs,
                                Tensor? RefLogprobs, Tensor? Keep, GenerationOptions Sampling, double Tokens)
    {
        /// <summary>(B) float32, set once the rewards are turned into advantages.</summary>
        public Tensor Advantages { get; init; } = null!;

        /// <summary>(B) float32 1/0: the completions sft_alpha's NLL term trains on; null when sft_alpha is 0.</summary>
        public Tensor? SftSelected { get; init; }

        /// <summary>Tokens of the selected completions in the generation batch (the NLL term's normalizer).</summary>
        public double SftTokens { get; init; }
    }

    /// <summary>(x − mean) / (std + 1e-8) over the batch (unbiased std).</summary>
    private static double[] Normalize(double[] x)
    {
        double mean = x.Average(), std = RewardScores.Std(x);
        return x.Select(v => (v - mean) / (std + 1e-8)).ToArray();
    }

    private static Batch Rollout(LlamaForCausalLM policy, LlamaForCausalLM? reference, List<PromptRow> prompts, IReadOnlyList<GeneratedSequence> outs,
                                 GenerationOptions generation, bool[] truncated, GrpoOptions o, int mini, int pad, bool needOld)
    {
        var seqs = prompts.Select((p, i) => Collator.Join(p.Ids, outs[i].Tokens.Select(t => (int)t).ToArray())).ToList();
        var batch = Collator.Build(seqs, pad);
        long t = batch.InputIds.size(1);
        var mask = batch.Labels.narrow(1, 1, t - 1).ne(SequenceLogps.IgnoreIndex).to(float32);
        if (o.MaskTruncatedCompletions)
            mask = mask * tensor(truncated.Select(x => x ? 0f : 1f).ToArray()).unsqueeze(1);
        Tensor? old = null, refLogprobs = null, keep = null;
        needOld |= o.NumIterations > 1 || mini < prompts.Count;
        using (no_grad())
        {
            if (needOld || SamplingLogprobs.Restricts(generation))
            {
                var pieces = new List<Tensor>();
                var keeps = new List<Tensor>();
                foreach (var chunk in Enumerable.Range(0, prompts.Count).Chunk(mini))
                {
                    var index = tensor(chunk.Select(x => (long)x).ToArray());
                    var (lp, k) = SamplingLogprobs.Of(policy.forward(batch.InputIds.index_select(0, index), batch.AttentionMask.index_select(0, index)).logits,
                                                      batch.Labels.index_select(0, index), generation);
                    pieces.Add(lp);
                    if (k is not null) keeps.Add(k);
                }
                if (needOld) old = cat(pieces, 0);
                if (keeps.Count > 0) keep = cat(keeps, 0);
            }
            if (o.Beta > 0)
            {
                var pieces = new List<Tensor>();
                foreach (var chunk in Enumerable.Range(0, prompts.Count).Chunk(mini))
                {
                    var index = tensor(chunk.Select(x => (long)x).ToArray());
                    var ids = batch.InputIds.index_select(0, index);
                    var attention = batch.AttentionMask.index_select(0, index);
                    var labels = batch.Labels.index_select(0, index);
                    var chunkKeep = keep?.index_select(0, index);
                    if (reference is not null)
                        pieces.Add(SamplingLogprobs.Of(reference.forward(ids, attention).logits, labels, generation, chunkKeep).logprobs);
                    else
                        using (LoraModel.disable_adapters(policy))   // a LoRA policy's base is the frozen reference
                            pieces.Add(SamplingLogprobs.Of(policy.forward(ids, attention).logits, labels, generation, chunkKeep).logprobs);
                }
                refLogprobs = cat(pieces, 0);
            }
        }
        return new Batch(batch.InputIds, batch.AttentionMask, batch.Labels, mask, old, refLogprobs, keep, generation,
                         mask.sum().item<double>());
    }

    /// <summary>One optimizer update on this rank's <paramref name="rows"/> of a minibatch of <paramref name="minibatchRows"/>
    /// rows over all ranks (data parallel: the loss is scaled to this rank's share of the minibatch's normalizer, the
    /// gradients summed by DDP; a rank with no rows takes part with a loss of zero).</summary>
    private static void Update(LlamaForCausalLM policy, Batch r, int[] rows, int minibatchRows, GrpoOptions o, double beta, List<Parameter> parameters,
                               optim.Optimizer optimizer, optim.lr_scheduler.LRScheduler scheduler, MetricSums stats, int step, RunSession session)
    {
        using var scope = NewDisposeScope();
        var dp = session.Parallel;
        bool none = rows.Length == 0;
        var index = tensor((none ? new[] { 0 } : rows).Select(x => (long)x).ToArray());
        var labels = r.Labels.index_select(0, index);
        var mask = r.Mask.index_select(0, index);
        var logits = policy.forward(r.InputIds.index_select(0, index), r.AttentionMask.index_select(0, index)).logits;
        var keep = r.Keep?.index_select(0, index);
        var (logprobs, computedKeep) = SamplingLogprobs.Of(logits, labels, r.Sampling, keep);
        var old = r.OldLogprobs?.index_select(0, index) ?? logprobs.detach();
        double weight = 1, nllWeight = 1;   // this rank's share of the minibatch's tokens (selected tokens for the NLL), for the token means
        double share = 1;                   // this rank's share of the minibatch's normalizer (the surrogate's; the NLL term's is global already)
        var selected = none ? null : r.SftSelected?.index_select(0, index);
        if (dp.Enabled)
        {
            double tokens = none ? 0 : mask.sum().item<double>(), selectedTokens = selected is null ? 0 : (mask * selected.unsqueeze(1)).sum().item<double>();
            var all = dp.Sum(tokens, selectedTokens);
            weight = all[0] > 0 ? tokens / all[0] : 1.0 / dp.WorldSize;
            nllWeight = all[1] > 0 ? selectedTokens / all[1] : 1.0 / dp.WorldSize;
            share = none ? 0 : o.LossType switch
            {
                GrpoLossType.Dapo => 1,   // already over the whole generation batch's tokens
                GrpoLossType.Bnpo => Math.Max(1, tokens) / Math.Max(1, all[0]),
                _ => rows.Length / (double)minibatchRows,
            };
        }
        var result = GrpoMath.Loss(logprobs, old, r.RefLogprobs?.index_select(0, index), r.Advantages.index_select(0, index), mask,
                                   o.Epsilon, o.EffectiveEpsilonHigh, beta, o.LossType, o.MaxCompletionLength, r.Tokens,
                                   selected, o.SftAlpha, r.SftTokens, share);
        var loss = result.Loss;
        double value = loss.item<double>();
        if (!double.IsFinite(value)) throw new NonFiniteLossException(step, "loss", session.LastCheckpoint);
        double entropy;
        using (no_grad()) entropy = SamplingLogprobs.Entropy(logits, keep ?? computedKeep, r.Sampling, mask);
        dp.SyncNextBackward(loss);
        dp.Backward(loss);
        double norm = nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
        if (!double.IsFinite(norm)) throw new NonFiniteLossException(step, "gradient norm", session.LastCheckpoint);
        optimizer.step();
        scheduler.step();
        optimizer.zero_grad();
        // Summed over the ranks after the step: the loss's shares add up; the rest are weighted by each rank's tokens.
        double each = 1.0 / dp.WorldSize;
        stats.Add("loss", value, each);
        stats.Add("grad_norm", norm * each, each);
        weight = none ? 0 : weight;
        stats.Add("entropy", entropy * weight, weight);
        stats.Add("kl", result.Kl.item<double>() * weight, weight);
        stats.Add("clip_ratio/low_mean", result.ClipLow.item<double>() * weight, weight);
        stats.Add("clip_ratio/high_mean", result.ClipHigh.item<double>() * weight, weight);
        stats.Add("clip_ratio/region_mean", result.ClipRegion.item<double>() * weight, weight);
        nllWeight = none ? 0 : nllWeight;
        stats.Add("nll_loss", result.Nll.item<double>() * nllWeight, nllWeight);
    }
}
