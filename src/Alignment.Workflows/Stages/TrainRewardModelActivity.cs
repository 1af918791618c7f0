using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.TrainRewardModel</c>: a Bradley–Terry reward model (<c>align train rm</c>) on preference pairs
/// <c>{"prompt","chosen","rejected"}</c> (+ <c>margin</c>), started from a model artifact. The output is a Hugging Face
/// sequence-classification folder (a LoRA run is merged into it) for PPO, BestOfN and Evaluate.
/// </summary>
public sealed class TrainRewardModelActivity : IStageActivity
{
    public const string TypeName = "Alignment.TrainRewardModel";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "Train reward model",
        "Trains a Bradley–Terry reward model on preference pairs; stores the reward model and its metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The model whose trunk the reward model starts from.", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("preferences", InputType.Artifact, "Preference pairs {\"prompt\",\"chosen\",\"rejected\"} (+ margin).", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("evalPreferences", InputType.Artifact, "Held-out pairs evaluated at the end (eval_accuracy in the metrics).", ArtifactKind: ArtifactKind.Dataset),
            .. TrainerStage.Inputs<RewardOptions>(dataParallel: true),
        ],
        [
            new OutputDescriptor("rewardModel", OutputType.Artifact, "The reward model folder (backbone plus score head).", ArtifactKind.RewardModel),
            TrainerStage.MetricsOutput,
            new OutputDescriptor("accuracy", OutputType.Number, "Share of pairs ranked right in the last logged step (held-out accuracy when evalPreferences is given)."),
            new OutputDescriptor("finalLoss", OutputType.Number, "Loss of the last step."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        var paths = TrainerStage.RunPaths(inputs, "preferences");
        if (inputs.Has("evalPreferences")) paths["eval_data"] = inputs.Artifact("evalPreferences").Path;
        var options = TrainerStage.Bind<RewardOptions>(context, paths);
        var result = TrainerStage.RunTrainer(context, RewardTrainer.Stage, options, (dir, progress) => RewardTrainer.Run(options, dir, progress), (dir, _) =>
        {
            TrainerStage.StoreWeights(context, "rewardModel", dir);
            TrainerStage.StoreMetrics(context, dir);
        });
        double accuracy = inputs.Has("evalPreferences") ? TrainerStage.Last(result, "eval_accuracy") : TrainerStage.Last(result, "accuracy");
        TrainerStage.SetMetric(context, "accuracy", accuracy);
        TrainerStage.SetMetric(context, "finalLoss", TrainerStage.Last(result, "loss"));
        context.Log($"rm: {result.GlobalStep} steps, accuracy {TrainerStage.Text(accuracy)}");
        return Task.FromResult(StageResult.Completed);
    }
}
