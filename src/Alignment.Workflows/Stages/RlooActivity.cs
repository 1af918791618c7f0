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

    private static readonly RlooOptions Defaults = new();

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "RLOO",
        "REINFORCE leave-one-out on prompts with rule rewards and/or a reward model; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the KL reference when beta > 0).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. OnlineRewardInputs.Inputs,
            new InputDescriptor("numGenerations", InputType.Integer, "Samples per prompt, k (num_generations).", Default: Defaults.NumGenerations, Minimum: 2),
            new InputDescriptor("maxCompletionLength", InputType.Integer, "Most tokens sampled per completion (max_completion_length).", Default: Defaults.MaxCompletionLength, Minimum: 1),
            new InputDescriptor("temperature", InputType.Number, "Sampling temperature (log-probs use the same distribution).", Default: Defaults.Temperature),
            new InputDescriptor("beta", InputType.Number, "KL coefficient; the KL to the reference is subtracted from the reward (beta); 0 = none.", Default: Defaults.Beta),
            .. TrainerStage.CommonInputs(Defaults, dataParallel: true),
        ],
        OnlineRewardInputs.Outputs);

    public Task<StageResult> ExecuteAsync(StageContext context) =>
        OnlineRewardInputs.Run<RlooOptions>(context, RlooTrainer.Stage, new Dictionary<string, string>
        {
            ["num_generations"] = "numGenerations", ["max_completion_length"] = "maxCompletionLength", ["temperature"] = "temperature",
            ["beta"] = "beta",
        }, (options, dir, progress) => RlooTrainer.Run(options, dir, progress, factory: RuleReward.Create));
}
