using Alignment.Training.Batching;
using Alignment.Training.Features;

namespace Alignment.Training.Trainers;

/// <summary>
/// The token sequence a reward model scores for a prompt and an answer, the same everywhere it is used: reward-model
/// training (chosen and rejected rows of <see cref="Collator.Preference"/>), PPO rollouts, best-of-N and evaluation all
/// score the prompt ids (up to and including the assistant header) followed by the answer ids, which end with the
/// template's end-of-turn token when the answer is finished (a generated answer carries the EOS it produced). The model
/// pools the last real token (<see cref="Alignment.Models.Heads.LlamaForSequenceClassification"/>), so every path reads
/// the end-of-turn token, never the newline a rendered conversation puts after it.
/// </summary>
public static class RewardSequences
{
    /// <summary>prompt + answer, as scored.</summary>
    public static int[] Of(IReadOnlyList<int> prompt, IReadOnlyList<int> answer) => Collator.Join([.. prompt], [.. answer]).ids;

    /// <summary>The chosen and the rejected sequence of a featurized preference pair (what training scores).</summary>
    public static (int[] Chosen, int[] Rejected) Of(PreferenceFeatures pair) => (Of(pair.PromptIds, pair.ChosenIds), Of(pair.PromptIds, pair.RejectedIds));
}
