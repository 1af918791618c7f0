namespace Alignment.Training.Config;

/// <summary>Per-token KL estimator of PPO's penalty.</summary>
public enum KlEstimator
{
    /// <summary>k1 = log π − log πref (unbiased; can be negative per token).</summary>
    K1,
    /// <summary>k3 = (e^u − 1) − u, u = log πref − log π (non-negative, lower variance).</summary>
    K3,
}

/// <summary>`align train ppo`: PPO with a value head on prompt-only data `{"prompt"}` and a reward model.</summary>
public sealed class PpoOptions : CommonOptions
{
    public PpoOptions()
    {
        LearningRate = 3e-6;
        BatchSize = 16;
    }

    [Option("reward_model", "Reward model folder (a sequence-classification model over the policy's tokenizer; `align train rm` writes one).")]
    public string? RewardModel { get; set; }

    [Option("reward_funcs", "Instead of reward_model: reward functions, comma-separated kind:argument entries (rules:FILE, model:FOLDER) whose weighted sum is the score.")]
    public string? RewardFuncs { get; set; }

    [StageInput("rewardWeights", "With rules: weights of the reward model and the rules, comma-separated (reward_weights; empty = 1, 1).", Default = "")]
    [Option("reward_weights", "Weights of reward_funcs, comma-separated (empty = all 1).")]
    public string? RewardWeights { get; set; }

    [Option("mini_batch_size", "Rollouts per PPO minibatch (one optimizer update each); 0 = batch_size. batch_size is the rollouts sampled per step.")]
    public int MiniBatchSize { get; set; }

    [Option("ppo_epochs", "Passes over each batch of rollouts.")]
    public int PpoEpochs { get; set; } = 4;

    [StageInput("klCoef", "KL penalty coefficient (kl_coef).")]
    [Option("kl_coef", "KL penalty coefficient (the starting value when adaptive_kl is on).")]
    public double KlCoef { get; set; } = 0.05;

    [Option("kl_estimator", "Per-token KL estimate: k1 or k3.")]
    public KlEstimator KlEstimator { get; set; } = KlEstimator.K1;

    [Option("adaptive_kl", "Adapt kl_coef toward kl_target (Ziegler et al.'s controller).")]
    public bool AdaptiveKl { get; set; }

    [Option("kl_target", "Target KL per sequence of the adaptive controller.")]
    public double KlTarget { get; set; } = 6;

    [Option("kl_horizon", "Horizon of the adaptive controller.")]
    public double KlHorizon { get; set; } = 10000;

    [Option("cliprange", "PPO policy ratio clip ε.")]
    public double Cliprange { get; set; } = 0.2;

    [Option("cliprange_value", "Value clip around the rollout's values.")]
    public double CliprangeValue { get; set; } = 0.2;

    [Option("vf_coef", "Weight of the value loss in the total loss.")]
    public double VfCoef { get; set; } = 0.1;

    [Option("gamma", "Discount γ of GAE.")]
    public double Gamma { get; set; } = 1.0;

    [Option("lam", "λ of GAE.")]
    public double Lam { get; set; } = 0.95;

    [StageInput("maxNewTokens", "Most tokens sampled per completion (max_new_tokens).", Minimum = 1)]
    [Option("max_new_tokens", "Most tokens sampled per completion.")]
    public int MaxNewTokens { get; set; } = 64;

    [Option("max_prompt_length", "Prompts longer than this keep their end.")]
    public int MaxPromptLength { get; set; } = 256;

    [StageInput("temperature", "Sampling temperature of the rollouts.")]
    [Option("temperature", "Sampling temperature of the rollouts.")]
    public double Temperature { get; set; } = 1.0;

    [Option("top_k", "Sample among the k most likely tokens (0 = all).")]
    public int TopK { get; set; }

    [Option("top_p", "Nucleus sampling threshold (1 = off).")]
    public double TopP { get; set; } = 1.0;

    [Option("sampling_per_prompt", "Sample each prompt's completion with a generator seeded by (seed, step, prompt), one generation call per prompt: " +
                                   "the samples then do not depend on the batch or the number of data-parallel processes (slower).")]
    public bool SamplingPerPrompt { get; set; }

    [Option("missing_eos_penalty", "Subtracted from the score of a completion that ended without EOS (length explosion guard).")]
    public double MissingEosPenalty { get; set; } = 1.0;

    public override void Validate()
    {
        if (QatBits != 0) throw new ConfigException("option 'qat_bits' is not supported by ppo (it has no eval pass to compare the quantized model with the float one)");
        base.Validate();
        if (GradientAccumulationSteps != 1) throw new ConfigException("option 'gradient_accumulation_steps' is not used by ppo (each minibatch is one update); leave it at 1");
        Positive("ppo_epochs", PpoEpochs, 1);
        Positive("max_new_tokens", MaxNewTokens, 1);
        Positive("max_prompt_length", MaxPromptLength, 1);
        if (MiniBatchSize < 0 || MiniBatchSize > BatchSize) throw new ConfigException($"option 'mini_batch_size' must be between 0 and batch_size ({BatchSize})");
        if (!(Cliprange > 0 && CliprangeValue > 0)) throw new ConfigException("options 'cliprange' and 'cliprange_value' must be positive");
        if (!(KlCoef >= 0)) throw new ConfigException($"option 'kl_coef' must be >= 0, got {KlCoef}");
        if (!(Temperature > 0)) throw new ConfigException($"option 'temperature' must be positive, got {Temperature}");
        if (!string.IsNullOrWhiteSpace(RewardModel) && !string.IsNullOrWhiteSpace(RewardFuncs))
            throw new ConfigException("options 'reward_model' and 'reward_funcs' are both set; give the reward model as a model:FOLDER entry of reward_funcs");
        if (!string.IsNullOrWhiteSpace(RewardWeights) && string.IsNullOrWhiteSpace(RewardFuncs))
            throw new ConfigException("option 'reward_weights' weighs reward_funcs, which is not set");
    }
}
