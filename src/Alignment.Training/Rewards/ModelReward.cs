using Alignment.Training.Trainers;

namespace Alignment.Training.Rewards;

/// <summary>A learned reward: a sequence scorer (a reward model) of prompt + completion ids.</summary>
public sealed class ModelReward(string name, ISequenceScorer scorer) : IRewardFunction
{
    public string Name => name;

    public double[] Score(IReadOnlyList<RewardInput> completions) =>
        scorer.Score(completions.Select(c => RewardSequences.Of(c.PromptIds, c.CompletionIds)).ToList(), completions.Select(c => c.PromptIds.Length).ToList());
}
