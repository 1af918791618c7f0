using Alignment.Training.Losses;

namespace Alignment.Training.Config;

/// <summary>`align train grpo`: group-relative policy optimization on prompt-only data `{"prompt"}` with reward
/// functions (rule files, reward models, weighted). Names and defaults follow TRL's GRPOConfig.</summary>
public class GrpoOptions : OnlineRewardOptions
{
    public GrpoOptions()
    {
        LearningRate = 1e-6;
        BatchSize = 4;
    }

    [StageInput("numGenerations", "Completions per prompt, the group size (num_generations).", Minimum = 2)]
    [StageInput("numGenerations", "Samples per prompt, k (num_generations).", Minimum = 2, For = typeof(RlooOptions))]
    [Option("num_generations", "Completions sampled per prompt (the group size G); batch_size counts prompts, so a step samples batch_size × G.")]
    public int NumGenerations { get; set; } = 8;

    [Option("mini_batch_size", "Completions per optimizer update; 0 = the whole generation batch (batch_size × num_generations).")]
    public int MiniBatchSize { get; set; }

    [Option("num_iterations", "Passes μ over each generation batch; after the first, importance ratios against the sampling policy matter.")]
    public int NumIterations { get; set; } = 1;

    [Option("epsilon", "Lower clip ε_low of the ratio.")]
    public double Epsilon { get; set; } = 0.2;

    [Option("epsilon_high", "Upper clip ε_high of the ratio (DAPO's clip-higher uses 0.28); 0 = epsilon.")]
    public double EpsilonHigh { get; set; }

    [StageInput("beta", "KL coefficient to the reference, k3 estimator (beta); 0 = none.")]
    [StageInput("beta", "KL coefficient; the KL to the reference is subtracted from the reward (beta); 0 = none.", For = typeof(RlooOptions))]
    [Option("beta", "KL coefficient to the reference (k3 estimator); 0 = no KL term and no reference pass.")]
    public double Beta { get; set; }

    [Option("sft_alpha", "Weight of an NLL term on each group's best completions (RAFT-style: those with their group's highest reward, in groups whose rewards differ), per token over the generation batch; 0 = off.")]
    public double SftAlpha { get; set; }

    [StageInput("lossType", "Loss aggregation (loss_type).", For = typeof(GrpoOptions))]
    [Option("loss_type", "Aggregation: grpo (per-sequence mean), dr_grpo (sum / (sequences × max_completion_length)), dapo (sum / tokens of the generation batch), bnpo (sum / tokens of the minibatch).")]
    public GrpoLossType LossType { get; set; } = GrpoLossType.Dapo;

    [StageInput("scaleRewards", "Advantage scaling (scale_rewards).", For = typeof(GrpoOptions))]
    [Option("scale_rewards", "Advantage scaling: group (divide by the group's std), batch (the batch's std) or none.")]
    public ScaleRewards ScaleRewards { get; set; } = ScaleRewards.Group;

    [Option("mask_truncated_completions", "Leave completions that reached max_completion_length without EOS out of the loss.")]
    public bool MaskTruncatedCompletions { get; set; }

    [StageInput("maxCompletionLength", "Most tokens sampled per completion (max_completion_length).", Minimum = 1)]
    [Option("max_completion_length", "Most tokens sampled per completion.")]
    public int MaxCompletionLength { get; set; } = 64;

    [Option("max_prompt_length", "Prompts longer than this keep their end.")]
    public int MaxPromptLength { get; set; } = 256;

    /// <summary>The upper clip actually used.</summary>
    public double EffectiveEpsilonHigh => EpsilonHigh > 0 ? EpsilonHigh : Epsilon;

    /// <summary>The stage's name in errors.</summary>
    protected virtual string StageName => "grpo";

    public override void Validate()
    {
        base.Validate();
        if (GradientAccumulationSteps != 1) throw new ConfigException($"option 'gradient_accumulation_steps' is not used by {StageName} (mini_batch_size sets the update size); leave it at 1");
        Positive("num_generations", NumGenerations, 2);
        Positive("num_iterations", NumIterations, 1);
        Positive("max_completion_length", MaxCompletionLength, 1);
        Positive("max_prompt_length", MaxPromptLength, 1);
        if (MiniBatchSize < 0 || MiniBatchSize > BatchSize * NumGenerations)
            throw new ConfigException($"option 'mini_batch_size' must be between 0 and batch_size × num_generations ({BatchSize * NumGenerations})");
        if (!(Epsilon > 0 && Epsilon < 1)) throw new ConfigException($"option 'epsilon' must be in (0, 1), got {Epsilon}");
        if (!(EpsilonHigh >= 0)) throw new ConfigException($"option 'epsilon_high' must be >= 0 (0 = epsilon), got {EpsilonHigh}");
        if (!(SftAlpha >= 0)) throw new ConfigException($"option 'sft_alpha' must be >= 0, got {SftAlpha}");
        if (!(Beta >= 0)) throw new ConfigException($"option 'beta' must be >= 0, got {Beta}");
    }
}
