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

    private static readonly GrpoOptions Defaults = new();

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "GRPO",
        "Group-relative policy optimization on prompts with rule rewards and/or a reward model; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the KL reference when beta > 0).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. OnlineRewardInputs.Inputs,
            new InputDescriptor("numGenerations", InputType.Integer, "Completions per prompt, the group size (num_generations).", Default: Defaults.NumGenerations, Minimum: 2),
            new InputDescriptor("maxCompletionLength", InputType.Integer, "Most tokens sampled per completion (max_completion_length).", Default: Defaults.MaxCompletionLength, Minimum: 1),
            new InputDescriptor("temperature", InputType.Number, "Sampling temperature (log-probs use the same distribution).", Default: Defaults.Temperature),
            new InputDescriptor("beta", InputType.Number, "KL coefficient to the reference, k3 estimator (beta); 0 = none.", Default: Defaults.Beta),
            new InputDescriptor("lossType", InputType.String, "Loss aggregation (loss_type).", Default: "dapo", Choices: ["grpo", "dr_grpo", "dapo", "bnpo"]),
            new InputDescriptor("scaleRewards", InputType.String, "Advantage scaling (scale_rewards).", Default: "group", Choices: ["group", "batch", "none"]),
            .. TrainerStage.CommonInputs(Defaults, dataParallel: true),
        ],
        OnlineRewardInputs.Outputs);

    public Task<StageResult> ExecuteAsync(StageContext context) =>
        OnlineRewardInputs.Run<GrpoOptions>(context, GrpoTrainer.Stage, new Dictionary<string, string>
        {
            ["num_generations"] = "numGenerations", ["max_completion_length"] = "maxCompletionLength", ["temperature"] = "temperature",
            ["beta"] = "beta", ["loss_type"] = "lossType", ["scale_rewards"] = "scaleRewards",
        }, (options, dir, progress) => GrpoTrainer.Run(options, dir, progress, factory: RuleReward.Create));
}
