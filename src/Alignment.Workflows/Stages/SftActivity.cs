using Alignment.Training.Config;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Sft</c>: supervised fine-tuning (<c>align train sft</c>) of a model artifact on an SFT data set
/// (<c>{"messages"}</c> or <c>{"prompt","completion"}</c>). Full or freeze tuning gives a model artifact; LoRA gives a
/// PEFT adapter artifact over the input model. metrics.jsonl is stored as a report artifact for loss curves.
/// </summary>
public sealed class SftActivity : IStageActivity
{
    public const string TypeName = "Alignment.Sft";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "SFT",
        "Supervised fine-tuning of a model on an SFT data set (full, freeze or LoRA); stores the trained model or adapter and its metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The model to start from.", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("dataset", InputType.Artifact, "SFT data: {\"messages\"} or {\"prompt\",\"completion\"} rows.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("evalDataset", InputType.Artifact, "Held-out SFT data evaluated at the end (eval_loss in the metrics).", ArtifactKind: ArtifactKind.Dataset),
            .. TrainerStage.Inputs<SftOptions>(dataParallel: true),
        ],
        [
            .. TrainerStage.WeightOutputs("The fine-tuned model"),
            TrainerStage.MetricsOutput,
            new OutputDescriptor("finalLoss", OutputType.Number, "Loss of the last step."),
            new OutputDescriptor("steps", OutputType.Number, "Optimizer steps run."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        var paths = TrainerStage.RunPaths(inputs, "dataset");
        if (inputs.Has("evalDataset")) paths["eval_data"] = inputs.Artifact("evalDataset").Path;
        var options = TrainerStage.Bind<SftOptions>(context, paths);
        var result = TrainerStage.RunTrainer(context, SftTrainer.Stage, options, (dir, progress) => SftTrainer.Run(options, dir, progress), (dir, r) =>
        {
            TrainerStage.StoreWeights(context, options.Finetuning.IsAdapter() ? "adapter" : "model", dir);
            TrainerStage.StoreMetrics(context, dir);
        });
        TrainerStage.SetMetric(context, "finalLoss", TrainerStage.Last(result, "loss"));
        context.SetValue("steps", result.GlobalStep);
        context.Log($"sft: {result.GlobalStep} steps, final loss {TrainerStage.Text(TrainerStage.Last(result, "loss"))}");
        return Task.FromResult(StageResult.Completed);
    }
}
