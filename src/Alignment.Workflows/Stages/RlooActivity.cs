using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Rloo</c>: RLOO (<c>align train rloo</c>) of a policy on prompts, rewarded by a rule file, a reward model,
/// or their weighted sum, with the leave-one-out baseline over the samples of each prompt.
/// </summary>
public sealed class RlooActivity : IStageActivity
{
    public const string TypeName = "Alignment.Rloo";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "RLOO",
        "REINFORCE leave-one-out on prompts with rule rewards and/or a reward model; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the KL reference when beta > 0).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. OnlineRewardInputs.Inputs,
            .. TrainerStage.Inputs<RlooOptions>(dataParallel: true),
        ],
        OnlineRewardInputs.Outputs);

    public Task<StageResult> ExecuteAsync(StageContext context) =>
        OnlineRewardInputs.Run<RlooOptions>(context, RlooTrainer.Stage, (options, dir, progress) => RlooTrainer.Run(options, dir, progress, factory: RuleReward.Create));
}
