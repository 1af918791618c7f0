using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.Losses;

/// <summary>How GRPO's rewards are scaled into advantages (TRL's scale_rewards).</summary>
public enum ScaleRewards
{
    /// <summary>Divide by each group's standard deviation (GRPO, Shao et al. 2024).</summary>
    Group,
    /// <summary>Divide by the whole batch's standard deviation.</summary>
    Batch,
    /// <summary>Do not scale (Dr. GRPO, Liu et al. 2025: the group std biases toward easy and hard prompts).</summary>
    None,
}

/// <summary>How GRPO's per-token losses are aggregated (TRL's loss_type).</summary>
public enum GrpoLossType
{
    /// <summary>Mean over each sequence's tokens, then over sequences (the original GRPO; favours short answers).</summary>
    Grpo,
    /// <summary>Sum over all tokens / (sequences × max_completion_length): a constant normalizer (Dr. GRPO).</summary>
    DrGrpo,
    /// <summary>Sum over all tokens / the completion tokens of the whole generation batch (DAPO's token-level loss).</summary>
    Dapo,
    /// <summary>Sum over all tokens / the completion tokens of this minibatch (BNPO).</summary>
    Bnpo,
}

/// <summary>
/// Group-relative policy optimization's arithmetic (Shao et al. 2024, DeepSeekMath; with DAPO's clip-higher and the
/// aggregations of TRL's GRPOTrainer), and RLOO's leave-one-out baseline (Ahmadian et al. 2024). Rewards are laid out
/// group by group: completions [g·G, (g+1)·G) answer prompt g.
/// </summary>
public static class GrpoMath
{
    /// <summary>Added to the standard deviation before dividing (TRL's 1e-4).</summary>
    public const double StdEpsilon = 1e-4;

    /// <summary>Aᵢ = rᵢ − mean of rᵢ's group, divided by (std + 1e-4) where std is the group's (scale group), the whole
    /// batch's (scale batch), or not divided (none); standard deviations are unbiased (n − 1), as torch.std.
    /// Also returns each completion's group standard deviation (frac_reward_zero_std counts the zeros).</summary>
    public static (double[] advantages, double[] groupStd) GroupAdvantages(IReadOnlyList<double> rewards, int groupSize, ScaleRewards scale)
    {
        if (groupSize < 2) throw new ArgumentOutOfRangeException(nameof(groupSize), "a group needs at least 2 completions");
        if (rewards.Count % groupSize != 0) throw new ArgumentException($"{rewards.Count} rewards are not whole groups of {groupSize}");
        int n = rewards.Count;
        var advantages = new double[n];
        var groupStd = new double[n];
        double batchStd = Std(rewards, 0, n);
        for (int start = 0; start < n; start += groupSize)
        {
            double mean = 0;
            for (int i = start; i < start + groupSize; i++) mean += rewards[i];
            mean /= groupSize;
            double std = Std(rewards, start, groupSize);
            double divisor = scale switch { ScaleRewards.Group => std + StdEpsilon, ScaleRewards.Batch => batchStd + StdEpsilon, _ => 1.0 };
            for (int i = start; i < start + groupSize; i++)
            {
                advantages[i] = (rewards[i] - mean) / divisor;
                groupStd[i] = std;
            }
        }
        return (advantages, groupStd);
    }

    /// <summary>RLOO: Aᵢ = rᵢ − mean of the other k − 1 rewards of rᵢ's group.</summary>
    public static double[] LeaveOneOutAdvantages(IReadOnlyList<double> rewards, int k)
    {
        if (k < 2) throw new ArgumentOutOfRangeException(nameof(k), "leave-one-out needs at least 2 samples per prompt");
        if (rewards.Count % k != 0) throw new ArgumentException($"{rewards.Count} rewards are not whole groups of {k}");
        var advantages = new double[rewards.Count];
        for (int start = 0; start < rewards.Count; start += k)
        {
            double sum = 0;
            for (int i = start; i < start + k; i++) sum += rewards[i];
            for (int i = start; i < start + k; i++) advantages[i] = rewards[i] - (sum - rewards[i]) / (k - 1);
        }
        return advantages;
    }

    /// <summary>RAFT's selection (Dong et al. 2023, reward-ranked fine-tuning) within GRPO's groups: the completions whose
    /// reward equals their group's highest, in groups whose rewards differ (a group of equal rewards has no winner: all
    /// right or all wrong). <c>sft_alpha</c> adds an NLL term on these.</summary>
    public static bool[] GroupBest(IReadOnlyList<double> rewards, int groupSize)
    {
        if (rewards.Count % groupSize != 0) throw new ArgumentException($"{rewards.Count} rewards are not whole groups of {groupSize}");
        var best = new bool[rewards.Count];
        for (int start = 0; start < rewards.Count; start += groupSize)
        {
            double max = double.NegativeInfinity, min = double.PositiveInfinity;
            for (int i = start; i < start + groupSize; i++)
            {
                max = Math.Max(max, rewards[i]);
                min = Math.Min(min, rewards[i]);
            }
            if (max > min)
                for (int i = start; i < start + groupSize; i++) best[i] = rewards[i] == max;
        }
        return best;
    }

    private static double Std(IReadOnlyList<double> x, int start, int count)
    {
        if (count < 2) return 0;
        double mean = 0;
        for (int i = start; i < start + count; i++) mean += x[i];
        mean /= count;
        double ss = 0;
        for (int i = start; i < start + count; i++) ss += (x[i] - mean) * (x[i] - mean);
        return Math.Sqrt(ss / (count - 1));
    }

    /// <summary>The clipped surrogate with separate bounds and an optional k3 KL penalty, per token (B, T):
    /// ρ = exp(log π − log π_old); ℓ = −min(ρ·A, clip(ρ, 1 − ε_low, 1 + ε_high)·A) + β·(e^(ref − log π) − (ref − log π) − 1);
    /// aggregated as <paramref name="type"/> says. <paramref name="maxCompletionLength"/> is dr_grpo's constant,
    /// <paramref name="generationTokens"/> dapo's normalizer (completion tokens of the whole generation batch).</summary>
    /// <param name="advantages">(B): one advantage per completion, broadcast over its tokens.</param>
    /// <param name="refLogprobs">(B, T) or null when β = 0.</param>
    /// <param name="sftSelected">(B) 1 for the completions the NLL term trains on (<see cref="GroupBest"/>), else 0; null = no term.</param>
    /// <param name="sftAlpha">Weight α of the NLL term: + α · Σ(−log π over the selected completions' tokens) / <paramref name="sftTokens"/>.</param>
    /// <param name="sftTokens">The selected completions' tokens in the whole generation batch (so the minibatches of one pass
    /// add up to α × their mean NLL per token).</param>
    /// <param name="share">Weight of the aggregated surrogate (not of the NLL term): a data-parallel rank's share of its
    /// minibatch's normalizer, so the ranks' losses add up to the whole minibatch's; the NLL term is already over the whole
    /// generation batch's selected tokens.</param>
    public static GrpoLoss Loss(Tensor logprobs, Tensor oldLogprobs, Tensor? refLogprobs, Tensor advantages, Tensor mask,
                                double epsLow, double epsHigh, double beta, GrpoLossType type, int maxCompletionLength, double generationTokens,
                                Tensor? sftSelected = null, double sftAlpha = 0, double sftTokens = 0, double share = 1)
    {
        if (beta != 0 && refLogprobs is null) throw new ArgumentException("beta > 0 needs the reference log-probs");
        using var scope = NewDisposeScope();
        var a = advantages.to(logprobs.dtype).unsqueeze(1);
        var ratio = (logprobs - oldLogprobs).exp();
        var clipped = ratio.clamp(1 - epsLow, 1 + epsHigh);
        var perToken = -(ratio * a).minimum(clipped * a);
        Tensor? kl = null;
        if (refLogprobs is not null)
        {
            var u = refLogprobs - logprobs;
            kl = u.exp() - u - 1;
            if (beta != 0) perToken = perToken + beta * kl;
        }
        var masked = perToken * mask;
        var loss = type switch
        {
            GrpoLossType.Grpo => (masked.sum(1) / mask.sum(1).clamp(min: 1)).mean(),
            GrpoLossType.Bnpo => masked.sum() / mask.sum().clamp(min: 1),
            GrpoLossType.DrGrpo => masked.sum() / (double)(logprobs.size(0) * maxCompletionLength),
            _ => masked.sum() / Math.Max(1.0, generationTokens),
        };
        if (share != 1) loss = loss * share;
        Tensor? selectedMask = sftSelected is null ? null : mask * sftSelected.to(mask.dtype).unsqueeze(1);
        if (selectedMask is not null && sftAlpha != 0)
            loss = loss + sftAlpha * (-(logprobs * selectedMask)).sum() / Math.Max(1.0, sftTokens);
        Tensor klMean, low, high, region, nll;
        using (no_grad())
        {
            var tokens = mask.sum().clamp(min: 1);
            var lowClipped = ratio.lt(1 - epsLow).logical_and(a.lt(0)).to(mask.dtype);
            var highClipped = ratio.gt(1 + epsHigh).logical_and(a.gt(0)).to(mask.dtype);
            low = (lowClipped * mask).sum() / tokens;
            high = (highClipped * mask).sum() / tokens;
            region = ((lowClipped + highClipped).clamp(max: 1) * mask).sum() / tokens;
            klMean = kl is null ? zeros(1).sum() : (kl * mask).sum() / tokens;
            nll = selectedMask is null ? zeros(1).sum() : (-(logprobs * selectedMask)).sum() / selectedMask.sum().clamp(min: 1);
        }
        return new GrpoLoss(loss.MoveToOuterScope(), klMean.MoveToOuterScope(), low.MoveToOuterScope(), high.MoveToOuterScope(), region.MoveToOuterScope(),
                            nll.MoveToOuterScope());
    }
}

/// <summary>GRPO's loss (scalar, with gradient) and its metrics (scalars, no gradient): the mean k3 KL per token, the
/// share of tokens clipped below (ρ &lt; 1 − ε_low with A &lt; 0), above (ρ &gt; 1 + ε_high with A &gt; 0) and either, and the
/// NLL term's mean per selected token (0 without the term).</summary>
public sealed record GrpoLoss(Tensor Loss, Tensor Kl, Tensor ClipLow, Tensor ClipHigh, Tensor ClipRegion, Tensor Nll);
