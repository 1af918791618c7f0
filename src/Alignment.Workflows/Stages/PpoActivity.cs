using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Ppo</c>: PPO (<c>align train ppo</c>) of a policy on prompts scored by a reward model (plus, optionally,
/// a rule file's verifiable reward, weighted), with a KL penalty to the starting policy. Full or freeze tuning gives a model (its folder also holds the value head, as TRL's does),
/// LoRA an adapter.
/// </summary>
public sealed class PpoActivity : IStageActivity
{
    public const string TypeName = "Alignment.Ppo";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "PPO",
        "PPO with a value head on prompts scored by a reward model; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the frozen KL reference).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("rewardModel", InputType.Artifact, "The reward model that scores completions.", Required: true, ArtifactKind: ArtifactKind.RewardModel),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("rules", InputType.File, "Optional rule file scored as a second reward beside the reward model (a verifiable reward the reward model may not see).",
                ReferencedFiles: RuleJudge.ReferencedFiles),
            .. TrainerStage.Inputs<PpoOptions>(dataParallel: true),
        ],
        [
            .. TrainerStage.WeightOutputs("The trained policy"),
            TrainerStage.MetricsOutput,
            new OutputDescriptor("meanScore", OutputType.Number, "objective/scores of the last logged step: the reward model's mean score of the rollouts."),
            new OutputDescriptor("kl", OutputType.Number, "objective/kl of the last logged step: mean KL per sequence to the reference."),
            new OutputDescriptor("finalLoss", OutputType.Number, "Loss of the last step."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        var paths = TrainerStage.RunPaths(inputs, "prompts");
        if (inputs.Has("rules")) paths["reward_funcs"] = $"model:{inputs.Artifact("rewardModel").Path},rules:{inputs.File("rules")}";
        else paths["reward_model"] = inputs.Artifact("rewardModel").Path;
        var options = TrainerStage.Bind<PpoOptions>(context, paths);
        var result = TrainerStage.RunTrainer(context, PpoTrainer.Stage, options, (dir, progress) => PpoTrainer.Run(options, dir, progress, factory: RuleReward.Create), (dir, _) =>
        {
            TrainerStage.StoreWeights(context, options.Finetuning.IsAdapter() ? "adapter" : "model", dir);
            TrainerStage.StoreMetrics(context, dir);
        });
        TrainerStage.SetMetric(context, "meanScore", TrainerStage.Last(result, "objective/scores"));
        TrainerStage.SetMetric(context, "kl", TrainerStage.Last(result, "objective/kl"));
        TrainerStage.SetMetric(context, "finalLoss", TrainerStage.Last(result, "loss"));
        context.Log($"ppo: {result.GlobalStep} steps, mean score {TrainerStage.Text(TrainerStage.Last(result, "objective/scores"))}, " +
                    $"kl {TrainerStage.Text(TrainerStage.Last(result, "objective/kl"))}");
        return Task.FromResult(StageResult.Completed);
    }
}
