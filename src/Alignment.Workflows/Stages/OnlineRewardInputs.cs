using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Stages;

/// <summary>The reward inputs of the online stages (GRPO, RLOO, online DPO): a rule file, a reward model, or both with
/// weights; they become the trainer's <c>reward_funcs</c>.</summary>
public static class OnlineRewardInputs
{
    public static InputDescriptor[] Inputs { get; } =
    [
        new("rules", InputType.File, "Rule file scored as a reward (rule judge: reference match, regex, length, gates).", ReferencedFiles: RuleJudge.ReferencedFiles),
        new("rewardModel", InputType.Artifact, "A reward model scored as a reward.", ArtifactKind: ArtifactKind.RewardModel),
        new("rewardWeights", InputType.String, "Weights of the rewards, comma-separated in the order rules, rewardModel (reward_weights; empty = all 1).", Default: ""),
    ];

    /// <summary>Sets reward_funcs from the inputs; at least one of rules and rewardModel is required.</summary>
    public static void Add(StageInputs inputs, Dictionary<string, object?> paths)
    {
        var funcs = new List<string>();
        if (inputs.Has("rules")) funcs.Add($"rules:{inputs.File("rules")}");
        if (inputs.Has("rewardModel")) funcs.Add($"model:{inputs.Artifact("rewardModel").Path}");
        if (funcs.Count == 0) throw new WorkflowException("give a reward: input 'rules' (a rule file), input 'rewardModel', or both");
        paths["reward_funcs"] = string.Join(",", funcs);
    }
}
