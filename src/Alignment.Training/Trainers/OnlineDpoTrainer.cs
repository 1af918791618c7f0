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
/// </summary>
public static class OnlineDpoTrainer
{
    public const string Stage = "online-dpo";

    /// <param name="factory">Makes reward functions of kinds this layer does not know (rules:FILE).</param>
    /// <param name="rewards">Reward functions to use instead of reward_funcs (weighted by reward_weights).</param>
    public static RunResult Run(OnlineDpoOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null,
                                WeightedRewards.Factory? factory = null, IReadOnlyList<IRewardFunction>? rewards = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress);
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
        using var sampling = new Generator(options.Seed ^ 0x5EED);
        var text = new Func<long[], string>(ids => tok.Decode(ids.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray(), skipSpecialTokens: true));
        return Loop(session, model, reference, prompts, generation, sampling, weighted, text, pad, progress, hooks);
    }

    private static RunResult Loop(RunSession session, TrainableModel model, LlamaForCausalLM? reference, List<PromptRow> prompts, GenerationOptions generation,
                                  Generator sampling, WeightedRewards rewards, Func<long[], string> decode, int pad, ITrainingProgress progress, RunHooks? hooks)
    {
        var o = (OnlineDpoOptions)session.Options;
        var policy = (LlamaForCausalLM)model.Module;
        var sampler = new LengthBucketSampler(prompts.Select(p => p.Ids.Length).ToList(), o.BatchSize, o.Seed, dropLast: prompts.Count >= o.BatchSize);
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
            RngState.Restore(sampling, r.SamplingRngState);
        }

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
                var batch = planned.Select(i => prompts[i]).ToList();
                var both = batch.Concat(batch).ToList();   // sample 1 of every prompt, then sample 2
                var outs = CausalLMGenerator.Generate(policy, both.Select(p => p.Ids.Select(x => (long)x).ToArray()).ToList(), generation, sampling);
                var inputs = both.Select((p, k) => new RewardInput(p.Text, decode(outs[k].Tokens), p.Ids, outs[k].Tokens.Select(t => (int)t).ToArray())).ToList();
                var scores = rewards.Score(inputs);
                var eosEnded = outs.Select(x => x.FinishReason != FinishReason.Length).ToArray();
                var penalized = scores.Total.Select((s, k) => eosEnded[k] ? s : s - o.MissingEosPenalty).ToArray();

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
                var result = OnlineDpoMath.Compute(logps, refLogps, mask, penalized, o.Beta, o.LossType);
                double value = result.Loss.item<double>();
                if (!double.IsFinite(value)) throw new NonFiniteLossException(current, "loss", session.LastCheckpoint);
                result.Loss.backward();
                double norm = nn.utils.clip_grad_norm_(parameters, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
                if (!double.IsFinite(norm)) throw new NonFiniteLossException(current, "gradient norm", session.LastCheckpoint);
                optimizer.step();
                scheduler.step();
                optimizer.zero_grad();

                var lengths = outs.Select(x => (double)x.Tokens.Length).ToArray();
                record.AddRange(new KeyValuePair<string, double>[] { new("loss", value), new("learning_rate", lr), new("grad_norm", norm) });
                record.AddRange(result.Metrics);
                record.Add(new("val/contain_eos_token", eosEnded.Count(x => x) / (double)eosEnded.Length));
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
        session.Store.WriteFinal(model.SaveFinal);
        progress.Finish();
        return new RunResult(step, total, false, session.History);
    }
}
