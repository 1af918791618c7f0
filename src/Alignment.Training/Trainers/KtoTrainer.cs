using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training.Distributed;
using Alignment.Training.Features;
using Alignment.Training.Losses;
using Alignment.Training.Runtime;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>A KTO example: the (prompt, completion, label) row and its KL partner — the same prompt with the next
/// row's completion (row i + 1 mod N), a mismatched pair whose log-ratio estimates the policy's KL from the reference.</summary>
public sealed record KtoExample(UnpairedFeatures Matched, UnpairedFeatures Mismatched)
{
    public int Length => Math.Max(Matched.Length, Mismatched.Length);
}

/// <summary>
/// KTO on unpaired data (Ethayarajh et al. 2024, as TRL implements it): desirable rows lose λD·(1 − σ(β(Δ − z))), undesirable ones λU·(1 − σ(β(z − Δ))),
/// z the detached, clamped mean log-ratio of the micro-batch's mismatched pairs. Reference log-probs of both the rows
/// and their KL partners are precomputed once (ref_logps.safetensors). Data parallel: z is the mean over every rank's
/// share of the micro-batch (a sum over the ranks), so N processes × batch b compute what one process does with N·b.
/// </summary>
public static class KtoTrainer
{
    public const string Stage = "kto";

    public static RunResult Run(KtoOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress, dataParallel: true, reshards: true);
        (var session, var config, _, _, var pad, progress) = start;
        var train = Load(options, options.Data!, config.Vocab);
        var eval = options.EvalData is { Length: > 0 } e ? Load(options, e, config.Vocab) : null;
        var trainRef = Reference(options, session, train, options.Data!, DpoTrainer.ReferenceFile, pad, progress);
        var evalRef = eval is null ? null : Reference(options, session, eval, options.EvalData!, DpoTrainer.EvalReferenceFile, pad, progress);

        using var init = new Generator(options.Seed);
        using var model = TrainableModel.CausalLm(options, init);
        var objective = new KtoObjective(model.LanguageModel!, options, trainRef, pad, session.Parallel);
        var evalPart = eval is null ? ((IReadOnlyList<KtoExample>, IStageObjective<KtoExample>)?)null
            : (eval, new KtoObjective(model.LanguageModel!, options, evalRef!, pad, session.Parallel));
        return SupervisedLoop.Run(session, model, train, objective, evalPart, progress, hooks);
    }

    private static List<KtoExample> Load(KtoOptions o, string path, int vocab)
    {
        var featurizer = StageData.Featurizer(o, path);
        DatasetShape.Require(path, DatasetKind.Unpaired, "align train kto");
        var rows = DatasetReader.ReadUnpaired(path);
        if (rows.Count < 2) throw new DatasetException($"{path}: KTO needs at least 2 rows (each row's KL partner is another row's completion)");
        var examples = new List<KtoExample>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var partner = rows[(i + 1) % rows.Count];
            var matched = featurizer.Unpaired(rows[i]);
            var mismatched = featurizer.Unpaired(rows[i] with { Completion = partner.Completion });
            foreach (int id in matched.PromptIds.Concat(matched.CompletionIds).Concat(mismatched.CompletionIds))
                if (id < 0 || id >= vocab)
                    throw new DatasetException($"{path}:{rows[i].Line}: token id {id} is outside the model's vocabulary [0, {vocab})");
            examples.Add(new KtoExample(matched, mismatched));
        }
        if (!examples.Any(e => e.Matched.Label) || examples.All(e => e.Matched.Label))
            throw new DatasetException($"{path}: KTO needs both desirable (label true) and undesirable (label false) rows");
        return examples;
    }

    // "first" = the row's completion, "second" = its KL partner (the same prompt, possibly cut to another length).
    private static ReferenceLogps Reference(KtoOptions o, RunSession session, List<KtoExample> rows, string dataPath, string file, int pad, ITrainingProgress progress) =>
        ReferenceLogps.ForRun(o, o.RefModel, session, file, dataPath, stage: "kto",
            rows.Select(e => (e.Matched.PromptIds, e.Matched.CompletionIds, e.Mismatched.PromptIds, e.Mismatched.CompletionIds)).ToList(), pad, progress);
}

/// <summary>One micro-batch of KTO: rows and their KL partners in one forward; in a data-parallel run (<paramref name="parallel"/>)
/// the KL estimate is taken over every rank's share of the micro-batch.</summary>
public sealed class KtoObjective(LlamaForCausalLM model, KtoOptions o, ReferenceLogps reference, int padId, DataParallel parallel)
    : IStageObjective<KtoExample>
{
    public int Length(KtoExample e) => e.Length;

    public double Units(KtoExample e) => 1;

    public Tensor Loss(IReadOnlyList<int> indices, IReadOnlyList<KtoExample> examples, double normalizer, MetricSums metrics, bool training) =>
        Batch(indices, examples, normalizer, metrics, padding: false);

    /// <summary>A rank without examples in this micro-batch: the stand-in's loss times zero, adding nothing to the KL estimate.</summary>
    public Tensor PaddingLoss(int index, KtoExample standIn, double normalizer, MetricSums metrics, bool training) =>
        Batch([index], [standIn], normalizer, metrics, padding: true);

    private Tensor Batch(IReadOnlyList<int> indices, IReadOnlyList<KtoExample> examples, double normalizer, MetricSums metrics, bool padding)
    {
        using var scope = NewDisposeScope();
        int b = examples.Count;
        var seqs = examples.Select(e => Collator.Join(e.Matched.PromptIds, e.Matched.CompletionIds))
                           .Concat(examples.Select(e => Collator.Join(e.Mismatched.PromptIds, e.Mismatched.CompletionIds))).ToList();
        using var batch = Collator.Build(seqs, padId);                               // (2B, T): rows, then KL partners
        var sum = LabelledForward.Run(model, batch.InputIds, batch.AttentionMask, batch.Labels).Sum;
        var dtype = sum.dtype;
        var policy = sum.narrow(0, 0, b);
        var partners = sum.narrow(0, b, b);
        var refRows = tensor(indices.Select(i => reference.First[i]).ToArray()).to(dtype);
        var refPartners = tensor(indices.Select(i => reference.Second[i]).ToArray()).to(dtype);
        var kl = parallel.Enabled ? KtoLoss.KlEstimate(partners, refPartners, padding ? 0 : 1, parallel.Sum) : KtoLoss.KlEstimate(partners, refPartners);
        var logRatio = policy - refRows;
        var desirable = tensor(examples.Select(e => e.Matched.Label).ToArray());
        var loss = KtoLoss.Loss(logRatio, desirable, kl, o.Beta, o.DesirableWeight, o.UndesirableWeight).sum() / normalizer;
        // The keys in one order on every rank, whichever labels its share holds (the reduction over ranks needs it).
        foreach (string key in new[] { "kl", "rewards/chosen", "logps/chosen", "rewards/rejected", "logps/rejected" }) metrics.Add(key, 0, 0);
        if (padding) return (loss * 0.0).MoveToOuterScope();
        using (no_grad())
        {
            var rewards = (o.Beta * logRatio).to(float64).data<double>();
            var logps = policy.to(float64).data<double>();
            metrics.Add("kl", kl.item<double>() * b, b);
            for (int k = 0; k < b; k++)
            {
                string side = examples[k].Matched.Label ? "chosen" : "rejected";
                metrics.Add($"rewards/{side}", rewards[k], 1);
                metrics.Add($"logps/{side}", logps[k], 1);
            }
        }
        return loss.MoveToOuterScope();
    }
}
