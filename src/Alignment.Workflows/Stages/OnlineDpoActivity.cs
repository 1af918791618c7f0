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

    private static readonly OnlineDpoOptions Defaults = new();

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Training", "Online DPO",
        "Online DPO on prompts: pairs from the policy's own samples each step, ranked by rule rewards and/or a reward model; stores the policy (model or adapter) and metrics.",
        [
            new InputDescriptor("model", InputType.Artifact, "The starting policy (also the DPO reference).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            .. OnlineRewardInputs.Inputs,
            new InputDescriptor("maxNewTokens", InputType.Integer, "Most tokens sampled per completion (max_new_tokens).", Default: Defaults.MaxNewTokens, Minimum: 1),
            new InputDescriptor("temperature", InputType.Number, "Sampling temperature.", Default: Defaults.Temperature),
            new InputDescriptor("beta", InputType.Number, "DPO's beta: how far the policy may move from the reference (beta).", Default: Defaults.Beta),
            new InputDescriptor("lossType", InputType.String, "DPO loss (loss_type).", Default: "sigmoid", Choices: ["sigmoid", "ipo"]),
            new InputDescriptor("missingEosPenalty", InputType.Number, "Subtracted from the reward of a completion without EOS (missing_eos_penalty); 0 = none.", Default: Defaults.MissingEosPenalty),
            .. TrainerStage.CommonInputs(Defaults),
        ],
        OnlineRewardInputs.Outputs);

    public Task<StageResult> ExecuteAsync(StageContext context) =>
        OnlineRewardInputs.Run<OnlineDpoOptions>(context, OnlineDpoTrainer.Stage, new Dictionary<string, string>
        {
            ["max_new_tokens"] = "maxNewTokens", ["temperature"] = "temperature", ["missing_eos_penalty"] = "missingEosPenalty",
            ["beta"] = "beta", ["loss_type"] = "lossType",
        }, (options, dir, progress) => OnlineDpoTrainer.Run(options, dir, progress, factory: RuleReward.Create), "objective/scores");
}
