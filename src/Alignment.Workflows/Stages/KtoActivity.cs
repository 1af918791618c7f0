using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Kto</c>: KTO (<c>align train kto</c>) on unpaired rows <c>{"prompt","completion","label"}</c>, the input
/// model being the starting policy and the reference. Full or freeze tuning gives a model, LoRA an adapter.
/// </summary>
public sealed class KtoActivity : IStageActivity
{
    public const string TypeName = "Alignment.Kto";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "KTO",
        "Kahneman–Tversky optimization on unpaired desirable/undesirable answers; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the reference unless refModel is set).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("dataset", InputType.Artifact, "Unpaired rows {\"prompt\",\"completion\",\"label\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("refModel", InputType.Artifact, "Reference model; unset = the starting policy.", ArtifactKind: ArtifactKind.Model),
            .. TrainerStage.Inputs<KtoOptions>(dataParallel: true),
        ],
        [
            .. TrainerStage.WeightOutputs("The trained policy"),
            TrainerStage.MetricsOutput,
            new OutputDescriptor("kl", OutputType.Number, "KTO's KL estimate of the last logged step."),
            new OutputDescriptor("finalLoss", OutputType.Number, "Loss of the last step."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        var paths = TrainerStage.RunPaths(inputs, "dataset");
        if (inputs.Has("refModel")) paths["ref_model"] = inputs.Artifact("refModel").Path;
        var options = TrainerStage.Bind<KtoOptions>(context, paths);
        var result = TrainerStage.RunTrainer(context, KtoTrainer.Stage, options, (dir, progress) => KtoTrainer.Run(options, dir, progress), (dir, _) =>
        {
            TrainerStage.StoreWeights(context, options.Finetuning.IsAdapter() ? "adapter" : "model", dir);
            TrainerStage.StoreMetrics(context, dir);
        });
        TrainerStage.SetMetric(context, "kl", TrainerStage.Last(result, "kl"));
        TrainerStage.SetMetric(context, "finalLoss", TrainerStage.Last(result, "loss"));
        context.Log($"kto: {result.GlobalStep} steps, final loss {TrainerStage.Text(TrainerStage.Last(result, "loss"))}");
        return Task.FromResult(StageResult.Completed);
    }
}
