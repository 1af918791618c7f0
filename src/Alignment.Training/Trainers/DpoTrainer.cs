using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Losses;
using Alignment.Training.Runtime;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>
/// The DPO family. Reference log-probs come from <see cref="ReferenceLogps"/> (computed once, before the policy is
/// loaded, and stored as ref_logps.safetensors beside the run); the reference-free losses (simpo, orpo) need none.
/// Chosen and rejected rows go through the policy in one concatenated forward.
/// </summary>
public static class DpoTrainer
{
    public const string Stage = "dpo";
    public const string ReferenceFile = "ref_logps.safetensors";
    public const string EvalReferenceFile = "ref_logps_eval.safetensors";

    public static RunResult Run(DpoOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress, dataParallel: true, reshards: true);
        (var session, var config, _, _, var pad, progress) = start;
        var train = Load(options, options.Data!, config.Vocab);
        var eval = options.EvalData is { Length: > 0 } e ? Load(options, e, config.Vocab) : null;
        var trainRef = Reference(options, session, train, ReferenceFile, pad, progress);
        var evalRef = eval is null ? null : Reference(options, session, eval, EvalReferenceFile, pad, progress);

        using var init = new Generator(options.Seed);
        using var model = TrainableModel.CausalLm(options, init);
        var objective = new DpoObjective(model.LanguageModel!, options, trainRef, pad);
        var evalPart = eval is null ? ((IReadOnlyList<PreferenceFeatures>, IStageObjective<PreferenceFeatures>)?)null
            : (eval, new DpoObjective(model.LanguageModel!, options, evalRef, pad));
        return SupervisedLoop.Run(session, model, train, objective, evalPart, progress, hooks);
    }

    internal static List<PreferenceFeatures> Load(CommonOptions o, string path, int vocab)
    {
        var featurizer = StageData.Featurizer(o, path);
        return StageData.Load(path, DatasetKind.Preference, "align train dpo", DatasetReader.ReadPreferences, featurizer.Preference,
                              f => f.PromptIds.Concat(f.ChosenIds).Concat(f.RejectedIds), vocab, r => r.Line);
    }

    private static ReferenceLogps? Reference(DpoOptions o, RunSession session, List<PreferenceFeatures> rows, string file, int pad, ITrainingProgress progress) =>
        o.ReferenceFree ? null
            : ReferenceLogps.ForRun(o, o.RefModel, session, file, file == ReferenceFile ? o.Data! : o.EvalData!, stage: null,
                                    rows.Select(f => (f.PromptIds, f.ChosenIds, f.PromptIds, f.RejectedIds)).ToList(), pad, progress);
}

/// <summary>One micro-batch of DPO: per-pair losses from <see cref="DpoLoss"/>, summed and divided by the pairs of the
/// accumulated batch; TRL's metrics.</summary>
public sealed class DpoObjective(LlamaForCausalLM model, DpoOptions o, ReferenceLogps? reference, int padId) : IStageObjective<PreferenceFeatures>
{
    public int Length(PreferenceFeatures f) => f.Length;

    public double Units(PreferenceFeatures f) => 1;

    public Tensor Loss(IReadOnlyList<int> indices, IReadOnlyList<PreferenceFeatures> examples, double normalizer, MetricSums metrics, bool training)
    {
        using var scope = NewDisposeScope();
        int b = examples.Count;
        using var batch = Collator.Preference(examples, padId);                 // (2B, T): chosen rows, then rejected rows
        var scored = LabelledForward.Run(model, batch.InputIds, batch.AttentionMask, batch.Labels);  // LM head on labelled positions only
        var (sum, count) = (scored.Sum, scored.Count);                          // (2B)
        var dtype = sum.dtype;
        var pc = sum.narrow(0, 0, b);
        var pr = sum.narrow(0, b, b);
        var nc = count.narrow(0, 0, b).clamp(min: 1);
        var nr = count.narrow(0, b, b).clamp(min: 1);
        Tensor? rc = null, rr = null;
        if (reference is not null)
        {
            rc = tensor(indices.Select(i => reference.First[i]).ToArray()).to(dtype);
            rr = tensor(indices.Select(i => reference.Second[i]).ToArray()).to(dtype);
        }
        var nllChosen = -pc / nc;                                                 // (B) mean NLL per chosen token

        Tensor losses = o.LossType switch
        {
            DpoLossType.Sigmoid => DpoLoss.Sigmoid(DpoLoss.LogRatioMargin(pc, pr, rc!, rr!), o.Beta, o.LabelSmoothing),
            DpoLossType.Robust => DpoLoss.Robust(DpoLoss.LogRatioMargin(pc, pr, rc!, rr!), o.Beta, o.LabelSmoothing),
            DpoLossType.Hinge => DpoLoss.Hinge(DpoLoss.LogRatioMargin(pc, pr, rc!, rr!), o.Beta),
            DpoLossType.Ipo => DpoLoss.Ipo((pc - rc!) / nc - (pr - rr!) / nr, o.Beta),
            DpoLossType.Simpo => DpoLoss.SimPo(pc / nc, pr / nr, o.Beta, o.SimpoGamma, o.LabelSmoothing),
            DpoLossType.Orpo => nllChosen + Orpo(pc / nc, pr / nr, metrics),
            _ => throw new ConfigException($"loss_type {o.LossType} is not implemented"),
        };
        if (o.RpoAlpha > 0) losses = losses + o.RpoAlpha * nllChosen;
        var loss = losses.sum() / normalizer;

        using (no_grad())
        {
            var chosenRewards = reference is null ? o.Beta * pc / nc : o.Beta * (pc - rc!);
            var rejectedRewards = reference is null ? o.Beta * pr / nr : o.Beta * (pr - rr!);
            metrics.Add("rewards/chosen", chosenRewards.sum().item<double>(), b);
            metrics.Add("rewards/rejected", rejectedRewards.sum().item<double>(), b);
            metrics.Add("rewards/accuracies", chosenRewards.gt(rejectedRewards).to(float64).sum().item<double>(), b);
            metrics.Add("rewards/margins", (chosenRewards - rejectedRewards).sum().item<double>(), b);
            metrics.Add("logps/chosen", pc.sum().item<double>(), b);
            metrics.Add("logps/rejected", pr.sum().item<double>(), b);
            // Mean logit over the vocabulary at the scored positions of chosen / rejected rows.
            long v = scored.Logits.size(1);
            var positionLogits = scored.Logits.sum(-1).to(float64);                                          // (N)
            var rowLogits = zeros(new[] { 2L * b }, float64).scatter_add(0, scored.Rows, positionLogits);     // (2B)
            var scoredCount = count.to(float64);
            metrics.Add("logits/chosen", rowLogits.narrow(0, 0, b).sum().item<double>(), scoredCount.narrow(0, 0, b).sum().item<double>() * v);
            metrics.Add("logits/rejected", rowLogits.narrow(0, b, b).sum().item<double>(), scoredCount.narrow(0, b, b).sum().item<double>() * v);
            if (o.RpoAlpha > 0 || o.LossType == DpoLossType.Orpo) metrics.Add("nll_loss", nllChosen.sum().item<double>(), b);
        }
        return loss.MoveToOuterScope();
    }

    private Tensor Orpo(Tensor chosenAverage, Tensor rejectedAverage, MetricSums metrics)
    {
        var (loss, logOdds) = DpoLoss.OrpoOddsRatio(chosenAverage, rejectedAverage, o.Beta);
        using (no_grad()) metrics.Add("log_odds_ratio", logOdds.sum().item<double>(), logOdds.size(0));
        return loss;
    }
}
