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
/// Supervised fine-tuning: the loss is the negative log-likelihood of the answer tokens (prompt tokens are labelled
/// −100), summed over the accumulated batch and divided by its number of answer tokens — so gradient accumulation
/// k × b computes exactly what one batch of k·b does.
/// </summary>
public static class SftTrainer
{
    public const string Stage = "sft";

    public static RunResult Run(SftOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress, dataParallel: true, reshards: true);
        (var session, var config, _, _, var pad, progress) = start;
        var train = Load(options, options.Data!, config.Vocab);
        var eval = options.EvalData is { Length: > 0 } e ? Load(options, e, config.Vocab) : null;

        using var init = new Generator(options.Seed);
        using var model = TrainableModel.CausalLm(options, init);
        var objective = new SftObjective(model.LanguageModel!, pad);
        return SupervisedLoop.Run(session, model, train, objective, eval is null ? null : (eval, objective), progress, hooks);
    }

    private static List<SftFeatures> Load(SftOptions o, string path, int vocab)
    {
        var featurizer = StageData.Featurizer(o, path);
        return StageData.Load(path, DatasetKind.Sft, "align train sft", DatasetReader.ReadSft, featurizer.Sft, f => f.InputIds, vocab, r => r.Line);
    }
}

/// <summary>SFT's loss: Σ −log p(answer token) / (answer tokens of the accumulated batch).</summary>
public sealed class SftObjective(LlamaForCausalLM model, int padId) : IStageObjective<SftFeatures>
{
    public int Length(SftFeatures f) => f.Length;

    /// <summary>Predicted answer tokens: labelled positions after the first (position 0 has nothing before it).</summary>
    public double Units(SftFeatures f) => f.Labels.Skip(1).Count(l => l != SftFeatures.IgnoreIndex);

    public Tensor Loss(IReadOnlyList<int> indices, IReadOnlyList<SftFeatures> examples, double normalizer, MetricSums metrics, bool training)
    {
        using var scope = NewDisposeScope();
        using var batch = Collator.Sft(examples, padId);
        var sum = LabelledForward.Run(model, batch.InputIds, batch.AttentionMask, batch.Labels).Sum;   // (B); LM head on answer positions only
        var loss = -sum.sum() / normalizer;
        return loss.MoveToOuterScope();
    }
}
