using System.Diagnostics;
using Alignment.Models.Qat;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Training.Runtime;

/// <summary>
/// The training loop of sft, rm, dpo and kto, straight-line: each optimizer step takes the next batch of
/// batch_size × gradient_accumulation_steps examples from the length-bucketed, seeded epoch plan, cuts it into
/// micro-batches of batch_size (each in its own dispose scope), sums their losses — each normalized by the units of
/// the whole accumulated batch — checks the loss is finite, clips the gradient norm, steps AdamW and the schedule, then
/// logs (values of this batch, computed before its update), evaluates and checkpoints as configured.
/// Data parallel (<see cref="RunSession.Parallel"/>): the plan's batches are global (batch_size ×
/// gradient_accumulation_steps × processes); each rank trains on its shard, normalizes by the units of the global
/// batch, and DDP sums the gradients during the last micro-batch's backward pass, so the update is the one a single
/// process computes on the whole global batch. Losses, token counts and metric sums are summed over the ranks before
/// they are checked and logged.
/// </summary>
public static class SupervisedLoop
{
    /// <param name="eval">Held-out examples and their objective (its own reference log-probs), or null.</param>
    /// <param name="stateScalars">The stage's own values to keep in every checkpoint's trainer_state.json (scalars).</param>
    public static RunResult Run<T>(RunSession session, TrainableModel model, IReadOnlyList<T> train, IStageObjective<T> objective,
                                   (IReadOnlyList<T> data, IStageObjective<T> objective)? eval, ITrainingProgress progress, RunHooks? hooks = null,
                                   IReadOnlyDictionary<string, double>? stateScalars = null)
    {
        var o = session.Options;
        if (train.Count == 0) throw new TrainingException($"{o.Data}: no training examples");
        var dp = session.Parallel;
        var lengths = train.Select(objective.Length).ToList();
        var sampler = Sampler(lengths, o, dp.WorldSize);
        int perEpoch = sampler.BatchesPerEpoch;
        int total = o.MaxSteps > 0 ? o.MaxSteps : o.Epochs * perEpoch;
        // The processes whose global batch cut the current epoch into batches: the run's own, or after a resume at another
        // world size (allow_world_size_change) the checkpoint's, until that epoch ends, so the data order is unchanged.
        int epochWorld = dp.WorldSize;
        if (session.Resumed is { } resumed && (int)resumed.Scalars.GetValueOrDefault(EpochWorldSizeKey, resumed.WorldSize) is var w && w != dp.WorldSize)
        {
            epochWorld = w;
            int oldPerEpoch = Sampler(lengths, o, w).BatchesPerEpoch;
            if (o.MaxSteps == 0) total = resumed.GlobalStep + (oldPerEpoch - resumed.BatchInEpoch) + (o.Epochs - resumed.Epoch - 1) * perEpoch;
        }
        if (session.Resumed is null) manual_seed(o.Seed);
        session.CreateOptimizer(model, total);
        var optimizer = session.Optimizer!;
        var scheduler = session.Scheduler!;
        var parameters = model.Trainable().Select(p => p.parameter).ToList();
        dp.Attach(parameters);

        int step = session.Resumed?.GlobalStep ?? 0;
        int epoch = session.Resumed?.Epoch ?? 0;
        int batchInEpoch = session.Resumed?.BatchInEpoch ?? 0;
        var plan = Sampler(lengths, o, epochWorld).Epoch(epoch);
        hooks?.OnStart?.Invoke(model.Module);
        progress.Start(session.Stage, step, total);
        var clock = Stopwatch.StartNew();

        while (step < total)
        {
            if (batchInEpoch >= plan.Count)
            {
                epoch++;
                batchInEpoch = 0;
                epochWorld = dp.WorldSize;
                plan = sampler.Epoch(epoch);
            }
            var batch = plan[batchInEpoch].OrderBy(i => objective.Length(train[i])).ThenBy(i => i).ToArray();
            double normalizer = batch.Sum(i => objective.Units(train[i]));
            var sums = new MetricSums();
            double loss = 0;
            long tokens = 0;
            int current = step + 1;
            clock.Restart();
            model.Module.train();
            var shard = dp.Shard(batch);
            // Every rank runs as many micro-batches as the largest shard needs; a rank whose shard has run out (the short
            // last batch of an epoch) runs a padding pass that adds nothing, so that every rank takes part in each
            // micro-batch's collectives (KTO's KL estimate) and in the gradient allreduce.
            int microCount = MicroBatches(batch.Length, dp.WorldSize, o.BatchSize);
            for (int m = 0; m < microCount; m++)
            {
                using var scope = NewDisposeScope();
                var micro = shard.Skip(m * o.BatchSize).Take(o.BatchSize).ToArray();
                var l = micro.Length > 0
                    ? objective.Loss(micro, micro.Select(i => train[i]).ToList(), normalizer, sums, training: true)
                    : objective.PaddingLoss(batch[0], train[batch[0]], normalizer, sums, training: true);
                double value = l.item<double>();
                if (m == microCount - 1) dp.SyncNextBackward(l);
                dp.Backward(l);
                loss += value;
                tokens += micro.Sum(i => (long)objective.Length(train[i]));
            }
            var totals = dp.Sum(loss, tokens);
            (loss, tokens) = (totals[0], (long)totals[1]);
            sums.Reduce(dp.Sum);
            if (!double.IsFinite(loss)) throw new NonFiniteLossException(current, "loss", session.LastCheckpoint);
            double gradNorm = utils.clip_grad_norm_(parameters, o.MaxGradNorm > 0 ? o.MaxGradNorm : double.PositiveInfinity);
            if (!double.IsFinite(gradNorm)) throw new NonFiniteLossException(current, "gradient norm", session.LastCheckpoint);
            double lr = optimizer.param_groups[0].lr;
            optimizer.step();
            scheduler.step();
            optimizer.zero_grad();
            step = current;
            batchInEpoch++;
            double seconds = clock.Elapsed.TotalSeconds;

            if (step % o.LoggingSteps == 0 || step == total)
            {
                var record = new List<KeyValuePair<string, double>>
                {
                    new("step", step), new("epoch", (double)step / perEpoch), new("loss", loss), new("learning_rate", lr), new("grad_norm", gradNorm),
                };
                record.AddRange(sums.Means());
                record.Add(new("tokens_per_second", tokens / Math.Max(seconds, 1e-9)));
                record.Add(new("samples_per_second", batch.Length / Math.Max(seconds, 1e-9)));
                session.Log(record);
            }
            if (eval is { } ev && ((o.EvalSteps > 0 && step % o.EvalSteps == 0) || step == total))
                Evaluate(session, model, ev.data, ev.objective, step, perEpoch, progress);
            progress.Step(step, loss);
            bool stopping = hooks?.StopAfterStep == step;
            if (session.CheckpointDue(step, total))
            {
                var scalars = new Dictionary<string, double>(stateScalars ?? new Dictionary<string, double>()) { [EpochWorldSizeKey] = epochWorld };
                progress.Message($"checkpoint {session.SaveCheckpoint(model, session.State(step, total, epoch, batchInEpoch, scalars: scalars))}");
            }
            hooks?.OnStepEnd?.Invoke(step, model.Module);
            if (stopping && step < total) return new RunResult(step, total, true, session.History);
        }
        session.WriteFinal(model);
        progress.Finish();
        return new RunResult(step, total, false, session.History);
    }

    /// <summary>trainer_state.json's record of the world size whose global batches cut the checkpoint's epoch.</summary>
    public const string EpochWorldSizeKey = "epoch_world_size";

    private static LengthBucketSampler Sampler(IReadOnlyList<int> lengths, CommonOptions o, int worldSize) =>
        new(lengths, o.BatchSize * o.GradientAccumulationSteps * worldSize, o.Seed);

    /// <summary>Micro-batches of <paramref name="batchSize"/> that the largest shard (rank 0's) of <paramref name="count"/>
    /// examples over <paramref name="ranks"/> needs; at least one.</summary>
    private static int MicroBatches(int count, int ranks, int batchSize) => Math.Max(1, ((count + ranks - 1) / ranks + batchSize - 1) / batchSize);

    /// <summary>Loss and metrics over the held-out data, without gradients or dropout; logged with an eval_ prefix.
    /// With quantization-aware training these are the quantized model's, and the float model's (fake quantization off)
    /// follow with an eval_float_ prefix, so the report holds the accuracy the quantization costs.</summary>
    public static void Evaluate<T>(RunSession session, TrainableModel model, IReadOnlyList<T> eval, IStageObjective<T> objective,
                                   int step, int perEpoch, ITrainingProgress progress)
    {
        var (loss, sums) = EvalPass(session, model, eval, objective);
        var record = new List<KeyValuePair<string, double>> { new("step", step), new("epoch", (double)step / perEpoch), new("eval_loss", loss) };
        record.AddRange(sums.Means().Select(kv => new KeyValuePair<string, double>("eval_" + kv.Key, kv.Value)));
        string message = $"step {step}: eval_loss {loss:G5}";
        if (QatModel.QuantizedLayers(model.Module).Any())
        {
            double floatLoss;
            MetricSums floatSums;
            using (QatModel.disable(model.Module)) (floatLoss, floatSums) = EvalPass(session, model, eval, objective);
            record.Add(new("eval_float_loss", floatLoss));
            record.AddRange(floatSums.Means().Select(kv => new KeyValuePair<string, double>("eval_float_" + kv.Key, kv.Value)));
            message += $" (quantized; float {floatLoss:G5})";
        }
        session.Log(record);
        progress.Message(message);
    }

    private static (double loss, MetricSums sums) EvalPass<T>(RunSession session, TrainableModel model, IReadOnlyList<T> eval, IStageObjective<T> objective)
    {
        var sums = new MetricSums();
        double normalizer = eval.Sum(objective.Units);
        double loss = 0;
        var dp = session.Parallel;
        model.Module.eval();
        using (no_grad())
        {
            int bs = session.Options.BatchSize;
            var order = dp.Shard(Enumerable.Range(0, eval.Count).OrderBy(i => objective.Length(eval[i])).ThenBy(i => i).ToArray());
            int microCount = MicroBatches(eval.Count, dp.WorldSize, bs);
            for (int m = 0; m < microCount && eval.Count > 0; m++)
            {
                using var scope = NewDisposeScope();
                var micro = order.Skip(m * bs).Take(bs).ToArray();
                loss += (micro.Length > 0
                    ? objective.Loss(micro, micro.Select(i => eval[i]).ToList(), normalizer, sums, training: false)
                    : objective.PaddingLoss(0, eval[0], normalizer, sums, training: false)).item<double>();
            }
        }
        loss = dp.Sum(loss)[0];
        sums.Reduce(dp.Sum);
        model.Module.train();
        return (loss, sums);
    }
}
