using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Dpo</c>: the DPO family (<c>align train dpo</c>: sigmoid, robust, hinge, ipo, simpo, orpo) on preference
/// pairs, the input model being the starting policy and (unless <c>refModel</c> is given) the reference. Full or freeze
/// tuning gives a model, LoRA an adapter; the reference log-probs the trainer precomputes are stored as a ref-logps artifact.
/// </summary>
public sealed class DpoActivity : IStageActivity
{
    public const string TypeName = "Alignment.Dpo";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "DPO",
        "Direct preference optimization (any loss_type) on preference pairs; stores the policy (model or adapter), reference log-probs and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the reference unless refModel is set).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("preferences", InputType.Artifact, "Preference pairs {\"prompt\",\"chosen\",\"rejected\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("refModel", InputType.Artifact, "Reference model; unset = the starting policy.", ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("evalPreferences", InputType.Artifact, "Held-out pairs evaluated at the end (eval_ metrics).", ArtifactKind: ArtifactKind.Dataset),
            .. TrainerStage.Inputs<DpoOptions>(dataParallel: true),
        ],
        [
            .. TrainerStage.WeightOutputs("The trained policy"),
            new OutputDescriptor("refLogps", OutputType.Artifact, "Reference log-probs of the training pairs (unset for simpo and orpo).", ArtifactKind.RefLogps, Optional: true),
            TrainerStage.MetricsOutput,
            new OutputDescriptor("rewardAccuracy", OutputType.Number, "rewards/accuracies of the last logged step."),
            new OutputDescriptor("rewardMargin", OutputType.Number, "rewards/margins of the last logged step."),
            new OutputDescriptor("finalLoss", OutputType.Number, "Loss of the last step."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        var paths = TrainerStage.RunPaths(inputs, "preferences");
        if (inputs.Has("refModel")) paths["ref_model"] = inputs.Artifact("refModel").Path;
        if (inputs.Has("evalPreferences")) paths["eval_data"] = inputs.Artifact("evalPreferences").Path;
        var options = TrainerStage.Bind<DpoOptions>(context, paths);
        var result = TrainerStage.RunTrainer(context, DpoTrainer.Stage, options, (dir, progress) => DpoTrainer.Run(options, dir, progress), (dir, _) =>
        {
            TrainerStage.StoreWeights(context, options.Finetuning.IsAdapter() ? "adapter" : "model", dir);
            string reference = Path.Combine(dir, DpoTrainer.ReferenceFile);
            if (File.Exists(reference)) context.WriteFile("refLogps", temp => File.Copy(reference, temp, overwrite: true));
            TrainerStage.StoreMetrics(context, dir);
        });
        TrainerStage.SetMetric(context, "rewardAccuracy", TrainerStage.Last(result, "rewards/accuracies"));
        TrainerStage.SetMetric(context, "rewardMargin", TrainerStage.Last(result, "rewards/margins"));
        TrainerStage.SetMetric(context, "finalLoss", TrainerStage.Last(result, "loss"));
        context.Log($"dpo ({inputs.String("lossType")}): {result.GlobalStep} steps, reward accuracy {TrainerStage.Text(TrainerStage.Last(result, "rewards/accuracies"))}");
        return Task.FromResult(StageResult.Completed);
    }
}
