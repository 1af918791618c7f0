using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.Losses;

/// <summary>
/// PPO's per-token arithmetic (Schulman et al. 2017 with the RLHF reward and GAE, as TRL computes it), as pure functions over (B, T) tensors with a mask (B, T) that is
/// 1 for completion tokens and 0 for padding after the end of a completion.
/// </summary>
public static class PpoMath
{
    /// <summary>k1 = log π − log πref (unbiased, can be negative).</summary>
    public static Tensor KlK1(Tensor logprobs, Tensor refLogprobs) => logprobs - refLogprobs;

    /// <summary>k3 = (e^u − 1) − u with u = log πref − log π (non-negative, lower variance).</summary>
    public static Tensor KlK3(Tensor logprobs, Tensor refLogprobs)
    {
        using var scope = NewDisposeScope();
        var u = refLogprobs - logprobs;
        return (u.expm1() - u).MoveToOuterScope();
    }

    /// <summary>Per-token rewards: −kl_coef·kl_t on every completion token, plus the score at each row's last
    /// completion token. scores (B); lastIndex (B) int64, the position of the last completion token.</summary>
    public static Tensor Rewards(Tensor kl, Tensor mask, Tensor scores, Tensor lastIndex, double klCoef)
    {
        using var scope = NewDisposeScope();
        var nonScore = -klCoef * kl * mask;                             // (B, T)
        var bonus = zeros_like(nonScore).scatter(1, lastIndex.unsqueeze(1), scores.unsqueeze(1).to(nonScore.dtype));
        return (nonScore + bonus).MoveToOuterScope();
    }

    /// <summary>Generalized advantage estimation, backwards over time: δt = rt + γ·V(t+1) − V(t),
    /// At = δt + γλ·A(t+1), with V and A past a row's end taken as 0 (masked); returns = A + V.
    /// Returns (advantages, returns), both (B, T), zero where mask is 0.</summary>
    public static (Tensor advantages, Tensor returns) Gae(Tensor rewards, Tensor values, Tensor mask, double gamma, double lambda)
    {
        using var scope = NewDisposeScope();
        long t = rewards.size(1);
        var r = rewards * mask;
        var v = values * mask;
        var columns = new Tensor[t];
        Tensor? nextAdvantage = null;
        Tensor? nextValue = null;
        for (long i = t - 1; i >= 0; i--)
        {
            var ri = r.select(1, i);
            var vi = v.select(1, i);
            var delta = nextValue is null ? ri - vi : ri + gamma * nextValue - vi;
            var ai = nextAdvantage is null ? delta : delta + gamma * lambda * nextAdvantage;
            ai = ai * mask.select(1, i);
            columns[i] = ai;
            nextAdvantage = ai;
            nextValue = vi;
        }
        var advantages = stack(columns, 1);
        var returns = (advantages + v) * mask;
        return (advantages.MoveToOuterScope(), returns.MoveToOuterScope());
    }

    /// <summary>Masked whitening: (x − mean)/sqrt(var + 1e-8) over masked entries (unbiased variance, as TRL's
    /// masked_whiten); with shiftMean false the mean is added back. Zero where mask is 0.</summary>
    public static Tensor Whiten(Tensor x, Tensor mask, bool shiftMean = true)
    {
        using var scope = NewDisposeScope();
        var (mean, variance) = MaskedMeanVar(x, mask);
        var w = (x - mean) * (variance + 1e-8).rsqrt();
        if (!shiftMean) w = w + mean;
        return (w * mask).MoveToOuterScope();
    }

    /// <summary><see cref="Whiten"/> over the masked entries of every rank of a data-parallel run: the count, sum and
    /// squared deviations are summed by <paramref name="sumOverRanks"/> (in float64).</summary>
    public static Tensor Whiten(Tensor x, Tensor mask, Func<double[], double[]> sumOverRanks)
    {
        using var scope = NewDisposeScope();
        var n = sumOverRanks([mask.sum().to(float64).item<double>(), (x * mask).sum().to(float64).item<double>()]);
        double mean = n[1] / n[0];
        double ss = sumOverRanks([((x - mean) * mask).square().sum().to(float64).item<double>()])[0];
        double variance = ss / Math.Max(1, n[0] - 1);
        return ((x - mean) * (1 / Math.Sqrt(variance + 1e-8)) * mask).MoveToOuterScope();
    }

    /// <summary>Mean and unbiased variance of the masked entries (scalars).</summary>
    public static (Tensor mean, Tensor variance) MaskedMeanVar(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        var n = mask.sum();
        var mean = (x * mask).sum() / n;
        var centered = (x - mean) * mask;
        var variance = centered.square().sum() / (n - 1).clamp(min: 1);
        return (mean.MoveToOuterScope(), variance.MoveToOuterScope());
    }

    /// <summary>Mean of the masked entries (a scalar).</summary>
    public static Tensor MaskedMean(Tensor x, Tensor mask)
    {
        using var scope = NewDisposeScope();
        return ((x * mask).sum() / mask.sum()).MoveToOuterScope();
    }

    /// <summary>Clipped policy loss: ρ = exp(log πnew − log πold);
    /// loss = mean over masked tokens of max(−Aρ, −A·clip(ρ, 1−ε, 1+ε)).
    /// Also returns clipfrac (share of tokens where the clipped term is the larger) and approxkl = ½·mean((log ρ)²).</summary>
    public static (Tensor loss, Tensor clipfrac, Tensor approxkl) PolicyLoss(Tensor newLogprobs, Tensor oldLogprobs, Tensor advantages,
                                                                            Tensor mask, double cliprange)
    {
        using var scope = NewDisposeScope();
        var logRatio = newLogprobs - oldLogprobs;
        var ratio = logRatio.exp();
        var unclipped = -advantages * ratio;
        var clipped = -advantages * ratio.clamp(1 - cliprange, 1 + cliprange);
        var loss = MaskedMean(unclipped.maximum(clipped), mask);
        Tensor clipfrac, approxkl;
        using (no_grad())
        {
            clipfrac = MaskedMean(clipped.gt(unclipped).to(newLogprobs.dtype), mask);
            approxkl = 0.5 * MaskedMean(logRatio.square(), mask);
        }
        return (loss.MoveToOuterScope(), clipfrac.MoveToOuterScope(), approxkl.MoveToOuterScope());
    }

    /// <summary>Clipped value loss: 0.5·mean(max((V − R)², (clip(V, Vold ± εv) − R)²)); also the clip fraction.</summary>
    public static (Tensor loss, Tensor clipfrac) ValueLoss(Tensor values, Tensor oldValues, Tensor returns, Tensor mask, double cliprangeValue)
    {
        using var scope = NewDisposeScope();
        var clippedValues = oldValues + (values - oldValues).clamp(-cliprangeValue, cliprangeValue);
        var lossUnclipped = (values - returns).square();
        var lossClipped = (clippedValues - returns).square();
        var loss = 0.5 * MaskedMean(lossUnclipped.maximum(lossClipped), mask);
        Tensor clipfrac;
        using (no_grad()) clipfrac = MaskedMean(lossClipped.gt(lossUnclipped).to(values.dtype), mask);
        return (loss.MoveToOuterScope(), clipfrac.MoveToOuterScope());
    }
}
