using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Upft</c>: unsupervised prefix fine-tuning (<c>align train upft</c>) of a model on a prompts data set:
/// the model samples an answer per prompt, most answers are cut to their first prefixLength tokens (a share
/// fullAnswerRatio stays whole), and the model is fine-tuned on prompt + answer. No labels. Full or freeze tuning gives
/// a model artifact; a PEFT method an adapter.
/// </summary>
public sealed class UpftActivity : IStageActivity
{
    public const string TypeName = "Alignment.Upft";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "UPFT",
        "Unsupervised prefix fine-tuning: trains the model on the first tokens of its own sampled answers (a few kept whole); stores the model or adapter and its metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The model to start from (it samples the answers).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. TrainerStage.Inputs<UpftOptions>(dataParallel: true),
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
        var paths = TrainerStage.RunPaths(inputs, "prompts");
        var options = TrainerStage.Bind<UpftOptions>(context, paths);
        var result = TrainerStage.RunTrainer(context, UpftTrainer.Stage, options, (dir, progress) => UpftTrainer.Run(options, dir, progress), (dir, _) =>
        {
            TrainerStage.StoreWeights(context, options.Finetuning.IsAdapter() ? "adapter" : "model", dir);
            TrainerStage.StoreMetrics(context, dir);
        });
        TrainerStage.SetMetric(context, "finalLoss", TrainerStage.Last(result, "loss"));
        context.SetValue("steps", result.GlobalStep);
        context.Log($"upft: {result.GlobalStep} steps, final loss {TrainerStage.Text(TrainerStage.Last(result, "loss"))}");
        return Task.FromResult(StageResult.Completed);
    }
}
