using Alignment.Training.Config;
using Alignment.Training.Rewards;
using Alignment.Training.Runtime;

namespace Alignment.Training.Trainers;

/// <summary>
/// RLOO (REINFORCE leave-one-out, Ahmadian et al. 2024; TRL's RLOOTrainer): GRPO's loop — num_generations samples per
/// prompt, clipped importance-weighted token loss, num_iterations passes — with the leave-one-out baseline instead of
/// the group normalization, and the KL to the reference (beta &gt; 0) subtracted from each completion's reward.
/// </summary>
public static class RlooTrainer
{
    public const string Stage = "rloo";

    public static RunResult Run(RlooOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null,
                                WeightedRewards.Factory? factory = null, IReadOnlyList<IRewardFunction>? rewards = null) =>
        GrpoTrainer.Run(Stage, options, outputDir, GrpoTrainer.Advantages.LeaveOneOut, progress, hooks, factory, rewards);
}
