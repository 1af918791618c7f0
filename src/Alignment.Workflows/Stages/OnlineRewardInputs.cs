using Alignment.Training.Config;
using Alignment.Training.Runtime;
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

    /// <summary>The outputs of the GRPO, RLOO and online DPO stages.</summary>
    public static OutputDescriptor[] Outputs { get; } =
    [
        .. TrainerStage.WeightOutputs("The trained policy"),
        TrainerStage.MetricsOutput,
        new OutputDescriptor("meanReward", OutputType.Number, "reward of the last logged step: the mean weighted reward of its completions."),
        new OutputDescriptor("finalLoss", OutputType.Number, "Loss of the last step."),
    ];

    /// <summary>Runs an online trainer (GRPO, RLOO, online DPO) from the stage's inputs and stores the policy, metrics,
    /// meanReward (the metric <paramref name="rewardKey"/>) and finalLoss.</summary>
    public static Task<StageResult> Run<T>(StageContext context, string stage, Func<T, string, ITrainingProgress, RunResult> train, string rewardKey = "reward")
        where T : OnlineRewardOptions, new()
    {
        var paths = TrainerStage.RunPaths(context.Inputs, "prompts");
        Add(context.Inputs, paths);
        var options = TrainerStage.Bind<T>(context, paths);
        var result = TrainerStage.RunTrainer(context, stage, options, (dir, progress) => train(options, dir, progress), (dir, _) =>
        {
            TrainerStage.StoreWeights(context, options.Finetuning == FinetuningType.Lora ? "adapter" : "model", dir);
            TrainerStage.StoreMetrics(context, dir);
        });
        TrainerStage.SetMetric(context, "meanReward", TrainerStage.Last(result, rewardKey));
        TrainerStage.SetMetric(context, "finalLoss", TrainerStage.Last(result, "loss"));
        context.Log($"{stage}: {result.GlobalStep} steps, mean reward {TrainerStage.Text(TrainerStage.Last(result, rewardKey))}");
        return Task.FromResult(StageResult.Completed);
    }
}
