using Alignment.Training.Config;
using Alignment.Training.Losses;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Grpo</c>: GRPO (<c>align train grpo</c>) of a policy on prompts, rewarded by a rule file (verifiable:
/// reference answers, regexes, lengths, gates), a reward model, or their weighted sum. Full or freeze tuning gives a
/// model, LoRA an adapter.
/// </summary>
public sealed class GrpoActivity : IStageActivity
{
    public const string TypeName = "Alignment.Grpo";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "GRPO",
        "Group-relative policy optimization on prompts with rule rewards and/or a reward model; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the KL reference when beta > 0).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. OnlineRewardInputs.Inputs,
            .. TrainerStage.Inputs<GrpoOptions>(dataParallel: true),
        ],
        OnlineRewardInputs.Outputs);

    public Task<StageResult> ExecuteAsync(StageContext context) =>
        OnlineRewardInputs.Run<GrpoOptions>(context, GrpoTrainer.Stage, (options, dir, progress) => GrpoTrainer.Run(options, dir, progress, factory: RuleReward.Create));
}
