using Alignment.Training.Config;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.OnlineDpo</c>: online DPO (<c>align train online-dpo</c>) of a policy on prompts: two samples per prompt
/// from the current policy, ranked by a rule file, a reward model, or their weighted sum, then a DPO step against the
/// starting model. Full or freeze tuning gives a model, LoRA an adapter.
/// </summary>
public sealed class OnlineDpoActivity : IStageActivity
{
    public const string TypeName = "Alignment.OnlineDpo";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "Online DPO",
        "Online DPO on prompts: pairs from the policy's own samples each step, ranked by rule rewards and/or a reward model; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the DPO reference).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. OnlineRewardInputs.Inputs,
            .. TrainerStage.Inputs<OnlineDpoOptions>(dataParallel: true),
        ],
        OnlineRewardInputs.Outputs);

    public Task<StageResult> ExecuteAsync(StageContext context) =>
        OnlineRewardInputs.Run<OnlineDpoOptions>(context, OnlineDpoTrainer.Stage,
            (options, dir, progress) => OnlineDpoTrainer.Run(options, dir, progress, factory: RuleReward.Create), "objective/scores");
}
