using Alignment.Models.Heads;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Features;
using Alignment.Training.Losses;
using Alignment.Training.Runtime;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>
/// Reward model: a score head on the final hidden state of each sequence's last non-padding token (found from the
/// attention mask, not from the padding id, which may also be a real token), trained with the Bradley–Terry loss −log σ(rc − rr − m) + c·(rc + rr)² on preference pairs. A causal
/// LM folder gets a new score head drawn from the seed; with LoRA the score head stays trainable. The output is a
/// Hugging Face sequence-classification folder (a LoRA run is merged into it).
/// </summary>
public static class RewardTrainer
{
    public const string Stage = "rm";

    public static RunResult Run(RewardOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress, dataParallel: true, reshards: true);
        (var session, var config, _, _, var pad, progress) = start;
        var train = DpoTrainer.Load(options, options.Data!, config.Vocab);
        var eval = options.EvalData is { Length: > 0 } e ? DpoTrainer.Load(options, e, config.Vocab) : null;

        using var init = new Generator(options.Seed);
        using var model = TrainableModel.Reward(options, init);
        var objective = new RewardObjective((LlamaForSequenceClassification)model.Module, options, pad);
        return SupervisedLoop.Run(session, model, train, objective, eval is null ? null : (eval, objective), progress, hooks);
    }
}

/// <summary>One micro-batch of reward-model training: chosen and rejected rows scored in one forward.</summary>
public sealed class RewardObjective(LlamaForSequenceClassification model, RewardOptions o, int padId) : IStageObjective<PreferenceFeatures>
{
    public int Length(PreferenceFeatures f) => f.Length;

    public double Units(PreferenceFeatures f) => 1;

    public Tensor Loss(IReadOnlyList<int> indices, IReadOnlyList<PreferenceFeatures> examples, double normalizer, MetricSums metrics, bool training)
    {
        using var scope = NewDisposeScope();
        int b = examples.Count;
        using var batch = Collator.Preference(examples, padId);                       // (2B, T)
        var rewards = model.forward(batch.InputIds, batch.AttentionMask).logits.squeeze(-1).to(float32);   // (2B)
        var chosen = rewards.narrow(0, 0, b);
        var rejected = rewards.narrow(0, b, b);
        Tensor? margin = o.UseMargin && examples.Any(e => e.Margin.HasValue)
            ? tensor(examples.Select(e => (float)(e.Margin ?? 0)).ToArray())
            : null;
        var loss = RewardLoss.BradleyTerry(chosen, rejected, margin, o.CenterRewardsCoefficient).sum() / normalizer;
        using (no_grad())
        {
            metrics.Add("accuracy", chosen.gt(rejected).to(float64).sum().item<double>(), b);
            metrics.Add("margin", (chosen - rejected).sum().item<double>(), b);
            metrics.Add("rewards/mean", rewards.sum().item<double>(), 2 * b);
            metrics.Add("rewards/chosen", chosen.sum().item<double>(), b);
            metrics.Add("rewards/rejected", rejected.sum().item<double>(), b);
        }
        return loss.MoveToOuterScope();
    }
}
