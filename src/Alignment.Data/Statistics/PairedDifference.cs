namespace Alignment.Data.Statistics;

/// <summary>
/// The change of a per-item quantity between two systems measured on the same items (a policy and its baseline on the
/// same prompts): the mean of the per-item differences d_i = policy_i − baseline_i with its 95% paired t interval,
/// d̄ ± t(0.975, n−1)·s_d/√n (s_d the sample standard deviation of the d_i). Pairing removes the variation between
/// prompts, so a change is judged against how consistently it happens, not against how different the prompts are. For a
/// 0/1 quantity (a rule hit) d̄ is the change of the hit rate. With one item the interval is unbounded (NaN ends); when
/// every difference is the same the interval is that value.
/// </summary>
/// <param name="Count">Items measured.</param>
/// <param name="Policy">Mean of the policy's values.</param>
/// <param name="Baseline">Mean of the baseline's values.</param>
/// <param name="Delta">Mean difference, policy − baseline.</param>
/// <param name="Low">Lower end of the 95% interval of <paramref name="Delta"/>.</param>
/// <param name="High">Upper end of the 95% interval.</param>
public sealed record PairedDifference(int Count, double Policy, double Baseline, double Delta, double Low, double High)
{
    /// <summary>The paired interval over aligned lists (same length, item i measured on both).</summary>
    public static PairedDifference Of(IReadOnlyList<double> policy, IReadOnlyList<double> baseline, double confidence = 0.95)
    {
        if (policy.Count != baseline.Count)
            throw new ArgumentException($"{policy.Count} policy values but {baseline.Count} baseline values: a paired comparison needs both on the same items");
        if (confidence is <= 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(confidence));
        int n = policy.Count;
        if (n == 0) return new PairedDifference(0, double.NaN, double.NaN, double.NaN, double.NaN, double.NaN);
        double meanPolicy = policy.Average(), meanBaseline = baseline.Average();
        double delta = 0;
        for (int i = 0; i < n; i++) delta += policy[i] - baseline[i];
        delta /= n;
        if (n == 1) return new PairedDifference(1, meanPolicy, meanBaseline, delta, double.NaN, double.NaN);
        double squares = 0;
        for (int i = 0; i < n; i++)
        {
            double e = policy[i] - baseline[i] - delta;
            squares += e * e;
        }
        double sd = Math.Sqrt(squares / (n - 1));
        double half = StudentT.Quantile(0.5 + confidence / 2, n - 1) * sd / Math.Sqrt(n);
        return new PairedDifference(n, meanPolicy, meanBaseline, delta, delta - half, delta + half);
    }
}
