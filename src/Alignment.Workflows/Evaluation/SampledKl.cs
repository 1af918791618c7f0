namespace Alignment.Workflows.Evaluation;

/// <summary>
/// KL(π ‖ πbase) estimated from answers sampled from the policy π at temperature 1 (no top-k/top-p, so the sampled
/// distribution is the one whose log-probabilities are compared). Per answer y with tokens y_t:
/// k1 = Σ_t (log π(y_t) − log πbase(y_t)) (unbiased, can come out negative on few samples);
/// k3 = Σ_t ((e^u − 1) − u) with u = log πbase(y_t) − log π(y_t) (unbiased and never negative; Schulman's "k3").
/// Each estimate is the mean over all sampled answers, in nats per answer.
/// </summary>
/// <param name="Samples">Answers sampled.</param>
/// <param name="K1">Mean k1.</param>
/// <param name="K3">Mean k3.</param>
public sealed record SampledKl(int Samples, double K1, double K3)
{
    /// <summary>The estimates from per-token log-probabilities of the same sampled tokens under both models.</summary>
    public static SampledKl From(IReadOnlyList<double[]> policyLogps, IReadOnlyList<double[]> baselineLogps)
    {
        if (policyLogps.Count != baselineLogps.Count) throw new ArgumentException("policy and baseline log-probs cover different answers");
        if (policyLogps.Count == 0) return new SampledKl(0, double.NaN, double.NaN);
        double k1 = 0, k3 = 0;
        for (int i = 0; i < policyLogps.Count; i++)
        {
            if (policyLogps[i].Length != baselineLogps[i].Length) throw new ArgumentException($"answer {i}: {policyLogps[i].Length} policy but {baselineLogps[i].Length} baseline log-probs");
            for (int t = 0; t < policyLogps[i].Length; t++)
            {
                double u = baselineLogps[i][t] - policyLogps[i][t];
                k1 -= u;
                k3 += Math.Exp(u) - 1 - u;
            }
        }
        return new SampledKl(policyLogps.Count, k1 / policyLogps.Count, k3 / policyLogps.Count);
    }
}
