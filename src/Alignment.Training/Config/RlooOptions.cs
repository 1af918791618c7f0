using Alignment.Training.Losses;

namespace Alignment.Training.Config;

/// <summary>`align train rloo`: REINFORCE leave-one-out (Ahmadian et al. 2024) on prompt-only data `{"prompt"}` with
/// reward functions. The options are GRPO's except the advantage: rᵢ − mean of the other num_generations − 1 rewards of
/// the prompt, where the reward includes −beta·Σₜ(log π − log πref) of the completion when beta &gt; 0 (the KL is part of
/// the reward, not a loss term); scale_rewards does not apply.</summary>
public sealed class RlooOptions : GrpoOptions
{
    [Option("normalize_advantages", "Whiten the leave-one-out advantages over the generation batch (mean 0, std 1).")]
    public bool NormalizeAdvantages { get; set; }

    protected override string StageName => "rloo";

    public override void Validate()
    {
        base.Validate();
        if (ScaleRewards != ScaleRewards.Group)
            throw new ConfigException("option 'scale_rewards' is GRPO's; rloo uses the leave-one-out baseline (set normalize_advantages to whiten the advantages)");
    }
}
