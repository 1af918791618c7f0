using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.Losses;

/// <summary>
/// KTO for unpaired data (Ethayarajh et al. 2024): with Δ = log πθ(y|x) − log πref(y|x) and z = max(0, KL estimate) (detached),
/// desirable examples lose λD·(1 − σ(β(Δ − z))) and undesirable ones λU·(1 − σ(β(z − Δ))).
/// </summary>
public static class KtoLoss
{
    /// <summary>z: the batch KL estimate from mismatched (prompt, completion) pairs, mean of their log-ratios,
    /// clamped at 0 and detached (a scalar tensor).</summary>
    public static Tensor KlEstimate(Tensor mismatchedPolicyLogps, Tensor mismatchedReferenceLogps)
    {
        using var scope = NewDisposeScope();
        var z = (mismatchedPolicyLogps - mismatchedReferenceLogps).mean().clamp(min: 0).detach();
        return z.MoveToOuterScope();
    }

    /// <summary>z over a micro-batch whose rows are shared out between the ranks of a data-parallel run: every rank's sum
    /// of log-ratios and its count (times <paramref name="weight"/>: 0 for a rank that holds none of the micro-batch)
    /// summed by <paramref name="sumOverRanks"/>, then the mean clamped at 0 (a detached scalar of the log-probs' dtype).</summary>
    public static Tensor KlEstimate(Tensor mismatchedPolicyLogps, Tensor mismatchedReferenceLogps, double weight, Func<double[], double[]> sumOverRanks)
    {
        double local;
        using (no_grad()) local = (mismatchedPolicyLogps - mismatchedReferenceLogps).sum().to(float64).item<double>();
        var totals = sumOverRanks([weight * local, weight * mismatchedPolicyLogps.size(0)]);
        return scalar_tensor(Math.Max(0, totals[0] / totals[1]), mismatchedPolicyLogps.dtype, mismatchedPolicyLogps.device);
    }

    /// <summary>Per-example losses. desirable is a bool tensor (B): true for label = true.</summary>
    public static Tensor Loss(Tensor logRatio, Tensor desirable, Tensor kl, double beta = 0.1,
                              double desirableWeight = 1.0, double undesirableWeight = 1.0)
    {
        using var scope = NewDisposeScope();
        var good = desirableWeight * (1 - ((logRatio - kl) * beta).sigmoid());
        var bad = undesirableWeight * (1 - ((kl - logRatio) * beta).sigmoid());
        return where(desirable, good, bad).MoveToOuterScope();
    }
}
