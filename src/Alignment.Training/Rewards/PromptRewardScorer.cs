using Alignment.Training.Trainers;

namespace Alignment.Training.Rewards;

/// <summary>
/// Weighted reward functions as a <see cref="ISequenceScorer"/> over prompt + completion ids, for stages that score
/// sequences (PPO): each sequence's prompt is found among the stage's prompts by its ids (to give rule rewards the
/// prompt's text) and its completion is decoded. The last batch's per-function scores are kept for logging.
/// </summary>
public sealed class PromptRewardScorer(WeightedRewards rewards, IReadOnlyList<PromptRow> prompts, Func<int[], string> decode) : ISequenceScorer
{
    private readonly Dictionary<string, string> textByIds = prompts.GroupBy(p => Key(p.Ids)).ToDictionary(g => g.Key, g => g.First().Text, StringComparer.Ordinal);

    /// <summary>The scores of the last <see cref="Score"/> call.</summary>
    public RewardScores? Last { get; private set; }

    public double[] Score(IReadOnlyList<int[]> sequences, IReadOnlyList<int> promptLengths)
    {
        var inputs = new List<RewardInput>(sequences.Count);
        for (int i = 0; i < sequences.Count; i++)
        {
            var promptIds = sequences[i][..promptLengths[i]];
            var completion = sequences[i][promptLengths[i]..];
            if (!textByIds.TryGetValue(Key(promptIds), out string? text))
                throw new TrainingException("a scored sequence's prompt is not one of the stage's prompts");
            inputs.Add(new RewardInput(text, decode(completion), promptIds, completion));
        }
        Last = rewards.Score(inputs);
        return Last.Total;
    }

    private static string Key(int[] ids) => string.Join(',', ids);
}
