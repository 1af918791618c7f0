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

namespace Alignment.Training.Trainers;

/// <summary>
/// Online DPO (Guo et al. 2024) as TRL's OnlineDPOTrainer does it. Each step takes batch_size prompts, samples two
/// completions of each from the current policy with the KV-cache generator (temperature, top_k, top_p,
/// max_new_tokens), scores them with the weighted reward functions (rule files, reward models) less
/// missing_eos_penalty for a completion without EOS, takes the higher-scored one as chosen, and makes one AdamW update
/// of the DPO loss (<see cref="OnlineDpoMath"/>) against the reference: the starting model (a frozen second copy for full
/// or freeze tuning; a LoRA policy with its adapters off). The DPO log-probs are the model's own (logits at
/// temperature 1), as TRL's: the temperature only shapes which pairs are sampled.
/// <para>Dropout is off (TRL's disable_dropout). Exact resume: the checkpoint holds the sampling generator and the
/// position of the next prompt batch.</para>
/// <para>Data parallel: a step's batch_size × processes prompts are shared out (every processes-th of the shared seeded
/// plan's batch); each rank samples, scores and ranks its prompts' pairs, the loss is its untied pairs' summed loss over
/// the whole batch's untied pairs and DDP sums the gradients, so the update is one process's on the whole batch; the
/// rewards, lengths and EOS flags are summed into the whole batch's and the pair metrics weighted by each rank's pairs,
/// so the logged metrics are the single process's. Each rank samples with its own generator (rank 0's is the single
/// process's), or per prompt (sampling_per_prompt), which makes the samples independent of the number of processes.</para>
/// </summary>
public static class OnlineDpoTrainer
{
    public const string Stage = "online-dpo";

    /// <param name="factory">Makes reward functions of kinds this layer does not know (rules:FILE).</param>
    /// <param name="rewards">Reward functions to use instead of reward_funcs (weighted by reward_weights).</param>
    public static RunResult Run(OnlineDpoOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null,
                                WeightedRewards.Factory? factory = null, IReadOnlyList<IRewardFunction>? rewards = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress, dataParallel: true);
        (var session, var config, var tok, var template, var pad, progress) = start;
        var prompts = PromptSet.Load(options.Data!, options.MaxLength - options.MaxNewTokens, tok, template, config.Vocab);
        var eos = new HashSet<long>(StageData.StopIds(config, tok, template));
        var generation = new GenerationOptions
        {
            MaxNewTokens = options.MaxNewTokens, DoSample = true, Temperature = options.Temperature, TopK = options.TopK, TopP = options.TopP,
            EosTokenIds = eos.ToArray(), PadTokenId = pad,
        };
        using var weighted = rewards is not null
            ? new WeightedRewards(rewards, WeightedRewards.ParseWeights(options.RewardWeights))
            : WeightedRewards.Build(options.RewardFuncs, options.RewardWeights, TrainableModel.ParseDtype(options.Dtype), pad, options.BatchSize, factory);
        using var init = new Generator(options.Seed);
        using var model = TrainableModel.CausalLm(options, init);
        using var reference = model.Finetuning == FinetuningType.Lora ? null : LlamaForCausalLM.from_pretrained(options.Model!, TrainableModel.ParseDtype(options.Dtype));
        reference?.eval();
        reference?.requires_grad_(false);
        using var sampling = new Generator(options.Seed ^ 0x5EED ^ ((ulong)session.Parallel.Rank * 0x9E3779B97F4A7C15UL));
        var text = new Func<long[], string>(ids => tok.Decode(ids.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray(), skipSpecialTokens: true));
        return Loop(session, model, reference, prompts, generation, sampling, weighted, text, pad, progress, hooks);
    }

    private static RunResult Loop(RunSession session, TrainableModel model, LlamaForCausalLM? reference, List<PromptRow> prompts, GenerationOptions generation,
                                  Generator sampling, WeightedRewards rewards, Func<long[], string> decode, int pad, ITrainingProgress progress, RunHooks? hooks)
    {
        var o = (OnlineDpoOptions)session.Options;
        var policy = (LlamaForCausalLM)model.Module;
        var dp = session.Parallel;
        int globalPrompts = o.BatchSize * dp.WorldSize;
        if (dp.Enabled && prompts.Count < globalPrompts)
            throw new TrainingException($"{o.Data}: {prompts.Count} prompts are fewer than batch_size × processes ({globalPrompts}); every process needs its batch_size prompts");
        var sampler = new LengthBucketSampler(prompts.Select(p => p.Ids.Length).ToList(), globalPrompts, o.Seed, dropLast: prompts.Count >= globalPrompts);
        int perEpoch = sampler.BatchesPerEpoch;
        int total = o.MaxSteps > 0 ? o.MaxSteps : o.Epochs * perEpoch;
        if (session.Resumed is null) manual_seed(o.Seed);
        session.CreateOptimizer(model, total);
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
            var record = new List<KeyValuePair<string, double>> { new("step", current), new("epoch", (double)current / perEpoch) };
            using (NewDisposeScope())
            {
                var mine = dp.Shard(planned);
                var batch = mine.Select(i => prompts[i]).ToList();
                var both = batch.Concat(batch).ToList();   // sample 1 of every prompt, then sample 2
                var outs = o.SamplingPerPrompt
                    ? PerPrompt(mine.Select(i => PromptSampling.Sample(policy, prompts[i].Ids, i, current, 2, generation, o.Seed)).ToList())
                    : CausalLMGenerator.Generate(policy, both.Select(p => p.Ids.Select(x => (long)x).ToArray()).ToList(), generation, sampling);
                // Row k of this rank's 2b completions is row globalRow[k] of the whole batch's 2B (its prompt is every WorldSize-th).
                int b = mine.Length, wholePairs = planned.Length;
                var globalRow = Enumerable.Range(0, 2 * b).Select(k => k / b * wholePairs + dp.Rank + dp.WorldSize * (k % b)).ToArray();
                double[] Whole(IEnumerable<double> local) => dp.Whole(local, globalRow, 2 * wholePairs);
                var inputs = both.Select((p, k) => new RewardInput(p.Text, decode(outs[k].Tokens), p.Ids, outs[k].Tokens.Select(t => (int)t).ToArray())).ToList();
                var localScores = rewards.Score(inputs);
                var scores = new RewardScores(Whole(localScores.Total), localScores.PerFunction.Select(f => (f.Name, Whole(f.Scores))).ToList());
                var eosEnded = outs.Select(x => x.FinishReason != FinishReason.Length).ToArray();
                var penalized = localScores.Total.Select((s, k) => eosEnded[k] ? s : s - o.MissingEosPenalty).ToArray();

                var seqs = both.Select((p, k) => Collator.Join(p.Ids, outs[k].Tokens.Select(t => (int)t).ToArray())).ToList();
                var tokens = Collator.Build(seqs, pad);
                long t = tokens.InputIds.size(1);
                var mask = tokens.Labels.narrow(1, 1, t - 1).ne(SequenceLogps.IgnoreIndex).to(float32);
                var own = new GenerationOptions();   // the model's own distribution: logits at temperature 1, unrestricted
                Tensor refLogps;
                using (no_grad())
                {
                    if (reference is not null) refLogps = SamplingLogprobs.Of(reference.forward(tokens.InputIds, tokens.AttentionMask).logits, tokens.Labels, own).logprobs;
                    else
                        using (LoraModel.disable_adapters(policy))   // a LoRA policy's base is the frozen reference
                            refLogps = SamplingLogprobs.Of(policy.forward(tokens.InputIds, tokens.AttentionMask).logits, tokens.Labels, own).logprobs;
                }
                var logps = SamplingLogprobs.Of(policy.forward(tokens.InputIds, tokens.AttentionMask).logits, tokens.Labels, own).logprobs;
                int untied = (int)dp.Sum(OnlineDpoMath.Rank(penalized).tied.Count(x => !x))[0];
                var result = OnlineDpoMath.Compute(logps, refLogps, mask, penalized, o.Beta, o.LossType, untied);
                double value = dp.Sum(result.Loss.item<double>())[0];
                if (!double.IsFinite(value)) throw new NonFiniteLossException(current, "loss", session.LastCheckpoint);
                dp.SyncNextBackward(result.Loss);
                dp.Backward(result.Loss);
                double norm = nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
                if (!double.IsFinite(norm)) throw new NonFiniteLossException(current, "gradient norm", session.LastCheckpoint);
                optimizer.step();
                scheduler.step();
                optimizer.zero_grad();

                var lengths = Whole(outs.Select(x => (double)x.Tokens.Length));
                // The pair metrics are means over this rank's pairs: weighted by its pairs, summed over the ranks.
                var pairMetrics = new MetricSums();
                foreach (var (key, v) in result.Metrics) pairMetrics.Add(key, v * b, b);
                pairMetrics.Reduce(dp.Sum);
                record.AddRange(new KeyValuePair<string, double>[] { new("loss", value), new("learning_rate", lr), new("grad_norm", norm) });
                record.AddRange(pairMetrics.Means());
                record.Add(new("val/contain_eos_token", Whole(eosEnded.Select(x => x ? 1.0 : 0.0)).Average()));
                record.AddRange(scores.Metrics());
                record.Add(new("completions/mean_length", lengths.Average()));
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

    /// <summary>sampling_per_prompt's [first, second] of every prompt laid out as the loop's batch: every prompt's first
    /// sample, then every prompt's second.</summary>
    private static List<GeneratedSequence> PerPrompt(List<IReadOnlyList<GeneratedSequence>> pairs) =>
        pairs.Select(p => p[0]).Concat(pairs.Select(p => p[1])).ToList();
}
