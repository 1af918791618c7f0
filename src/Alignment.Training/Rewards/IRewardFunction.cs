namespace Alignment.Training.Rewards;

/// <summary>One sampled completion as a reward function sees it: the prompt as written in the data, the completion's
/// decoded text, and both as token ids.</summary>
public sealed record RewardInput(string Prompt, string Completion, int[] PromptIds, int[] CompletionIds);

/// <summary>A reward for online RL (TRL's reward_funcs): a number per completion. Rule rewards are verifiable (a regex,
/// a reference answer); a reward model is learned. Must be deterministic for exact resume.</summary>
public interface IRewardFunction
{
    /// <summary>Name in the metrics (<c>rewards/&lt;name&gt;/mean</c>).</summary>
    string Name { get; }

    double[] Score(IReadOnlyList<RewardInput> completions);
}
