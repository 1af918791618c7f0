namespace Alignment.Training.Config;

/// <summary>What the online stages that sample from the policy and score the samples with reward functions share (grpo,
/// rloo, online-dpo): TRL's reward_funcs + reward_weights and the sampling settings.</summary>
public abstract class OnlineRewardOptions : CommonOptions
{
    [Option("reward_funcs", "Reward functions, comma-separated kind:argument entries: rules:FILE (a rule-judge file: regex, reference match, length, gates) or model:FOLDER (a reward model).")]
    public string? RewardFuncs { get; set; }

    [StageInput("rewardWeights", "Weights of the rewards, comma-separated in the order rules, rewardModel (reward_weights; empty = all 1).", Default = "")]
    [Option("reward_weights", "Weights of reward_funcs, comma-separated (empty = all 1); the reward is their weighted sum.")]
    public string? RewardWeights { get; set; }

    [StageInput("temperature", "Sampling temperature (log-probs use the same distribution).")]
    [StageInput("temperature", "Sampling temperature of the two samples (the loss uses the model's own distribution, as TRL).", For = typeof(OnlineDpoOptions))]
    [Option("temperature", "Sampling temperature (grpo and rloo take their log-probs under the same processed distribution; online-dpo's loss uses the model's own, as TRL).")]
    public double Temperature { get; set; } = 1.0;

    [Option("top_k", "Sample among the k most likely tokens (0 = all).")]
    public int TopK { get; set; }

    [Option("top_p", "Nucleus sampling threshold (1 = off).")]
    public double TopP { get; set; } = 1.0;

    [Option("sampling_per_prompt", "Sample each prompt's completions with a generator seeded by (seed, step, prompt), one generation call per prompt: " +
                                   "the samples then do not depend on the batch or the number of data-parallel processes (slower).")]
    public bool SamplingPerPrompt { get; set; }

    public override void Validate()
    {
        base.Validate();
        if (!(Temperature > 0)) throw new ConfigException($"option 'temperature' must be positive, got {Temperature}");
        if (TopK < 0) throw new ConfigException($"option 'top_k' must be 0 (off) or positive, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ConfigException($"option 'top_p' must be in (0, 1], got {TopP}");
    }
}
