using Alignment.Training.Losses;

namespace Alignment.Training.Config;

/// <summary>`align train online-dpo`: online DPO (Guo et al. 2024) on prompt-only data `{"prompt"}`: each step samples two
/// completions per prompt from the current policy, ranks them by the weighted reward functions and takes a DPO step on
/// the pair. Names and defaults follow TRL's OnlineDPOConfig (lr 5e-7, beta 0.1, temperature 0.9, max_new_tokens 64,
/// max_length 512).</summary>
public sealed class OnlineDpoOptions : OnlineRewardOptions
{
    public OnlineDpoOptions()
    {
        LearningRate = 5e-7;
        Temperature = 0.9;
    }

    [StageInput("beta", "DPO's beta: how far the policy may move from the reference (beta).")]
    [Option("beta", "DPO's β: how far the policy may move from the reference (for ipo, IPO's τ).")]
    public double Beta { get; set; } = 0.1;

    [StageInput("lossType", "DPO loss (loss_type).")]
    [Option("loss_type", "sigmoid (DPO) or ipo, on the summed completion log-ratios.")]
    public OnlineDpoLossType LossType { get; set; } = OnlineDpoLossType.Sigmoid;

    [StageInput("maxNewTokens", "Most tokens sampled per completion (max_new_tokens).", Minimum = 1)]
    [Option("max_new_tokens", "Most tokens sampled per completion; prompts keep their last max_length − max_new_tokens tokens.")]
    public int MaxNewTokens { get; set; } = 64;

    [StageInput("missingEosPenalty", "Subtracted from the reward of a completion without EOS (missing_eos_penalty); 0 = none.")]
    [Option("missing_eos_penalty", "Subtracted from the reward of a completion that ends without EOS (0 = none), before the pair is ranked.")]
    public double MissingEosPenalty { get; set; }

    public override void Validate()
    {
        base.Validate();
        if (GradientAccumulationSteps != 1) throw new ConfigException("option 'gradient_accumulation_steps' is not used by online-dpo (each step samples batch_size prompts); leave it at 1");
        Positive("max_new_tokens", MaxNewTokens, 1);
        if (MaxLength <= MaxNewTokens) throw new ConfigException($"option 'max_length' ({MaxLength}) must exceed max_new_tokens ({MaxNewTokens}) to leave room for the prompt");
        if (!(Beta > 0)) throw new ConfigException($"option 'beta' must be positive, got {Beta}");
        if (!(MissingEosPenalty >= 0)) throw new ConfigException($"option 'missing_eos_penalty' must be >= 0 (0 = none), got {MissingEosPenalty}");
    }
}
