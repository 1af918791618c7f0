using Alignment.Data.Statistics;

namespace Alignment.Data.Tests.Statistics;

public class BradleyTerryTests
{
    private static IEnumerable<PairResult> Repeat(int first, int second, double score, int times) =>
        Enumerable.Repeat(new PairResult(first, second, score), times);

    // Two items, one of them winning 2 of 3: the likelihood p²(1−p) peaks at p = 2/3, so γ0/γ1 = 2.
    [Fact]
    public void Two_items_ratio_is_the_win_odds()
    {
        var fit = BradleyTerry.Fit(2, [.. Repeat(0, 1, 1, 2), .. Repeat(0, 1, 0, 1)]);
        Assert.True(fit.Converged);
        Assert.Equal(2.0, fit.Strengths[0] / fit.Strengths[1], 9);
        Assert.Equal(Math.Log(2) / 2, fit.LogStrengths[0], 9);
        Assert.Equal(2.0 / 3.0, fit.WinProbability(0, 1), 9);
    }

    // A tie counts half a win each side: A beats B once and they tie once, so A scores 1.5 of 2 games;
    // p = 0.75 maximizes p^1.5 (1−p)^0.5, so γA/γB = 3.
    [Fact]
    public void Ties_count_half_a_win_each_side()
    {
        var fit = BradleyTerry.Fit(2, [new PairResult(0, 1, 1), new PairResult(0, 1, 0.5)]);
        Assert.Equal(3.0, fit.Strengths[0] / fit.Strengths[1], 9);
    }

    // Three items, derived by hand. A beats B 2–1, A beats C 2–1, B and C split 1–1. By symmetry γB = γC = 1.
    // The likelihood equation for A: W_A = Σ_j N_Aj·γA/(γA+γj) → 4 = 6x/(x+1) → x = 2.
    // Check B: W_B = 2 = 3·1/(1+2) + 2·1/2 = 2. So γ = (2, 1, 1) up to scale.
    [Fact]
    public void Three_items_hand_derived_solution()
    {
        PairResult[] results = [.. Repeat(0, 1, 1, 2), .. Repeat(0, 1, 0, 1), .. Repeat(0, 2, 1, 2), .. Repeat(0, 2, 0, 1), new(1, 2, 1), new(1, 2, 0)];
        var fit = BradleyTerry.Fit(3, results);
        Assert.True(fit.Converged);
        Assert.Equal(2.0, fit.Strengths[0] / fit.Strengths[1], 8);
        Assert.Equal(1.0, fit.Strengths[1] / fit.Strengths[2], 8);
        Assert.Equal(3.0, fit.Strengths.Sum(), 9);
        Assert.Equal(0.0, fit.LogStrengths.Sum(), 9);
    }

    [Fact]
    public void Elo_scale_and_argument_checks()
    {
        Assert.Equal(1400.0, BradleyTerryFit.ToElo(Math.Log(10)), 9);
        Assert.Throws<ArgumentException>(() => BradleyTerry.Fit(2, [new PairResult(0, 0, 1)]));
        Assert.Throws<ArgumentException>(() => BradleyTerry.Fit(2, [new PairResult(0, 1, 2)]));
    }

    [Fact]
    public void An_item_that_never_scores_has_no_finite_mle_but_a_prior_regularizes_it()
    {
        var results = Repeat(0, 1, 1, 3).ToList();
        var mle = BradleyTerry.Fit(2, results, maxIterations: 50);
        Assert.True(double.IsNegativeInfinity(mle.LogStrengths[1]) || !mle.Converged);
        // One virtual tie: A scores 3.5 of 4 → γA/γB = 3.5/0.5 = 7.
        var regularized = BradleyTerry.Fit(2, results, priorTies: 1);
        Assert.True(regularized.Converged);
        Assert.Equal(7.0, regularized.Strengths[0] / regularized.Strengths[1], 8);
    }
}

public class BootstrapTests
{
    [Fact]
    public void Percentile_interval_of_a_mean_matches_the_normal_approximation()
    {
        // 2,000 draws from a known distribution; the bootstrap interval of the mean should be close to
        // mean ± 1.96·s/√n (the central limit theorem), to within a few percent of its width.
        var random = new Random(5);
        var data = Enumerable.Range(0, 2000).Select(_ => random.NextDouble() * 10).ToArray();
        var mean = data.Average();
        var sd = Math.Sqrt(data.Sum(x => (x - mean) * (x - mean)) / (data.Length - 1));
        var half = 1.96 * sd / Math.Sqrt(data.Length);
        var interval = Bootstrap.Percentile(data, sample => [sample.Average()], resamples: 2000, seed: 11)[0];
        Assert.Equal(mean - half, interval.Lower, 0.02);
        Assert.Equal(mean + half, interval.Upper, 0.02);
    }

    [Fact]
    public void Same_seed_same_intervals_and_a_different_seed_differs()
    {
        var data = Enumerable.Range(0, 50).Select(i => (double)(i * i % 17)).ToArray();
        Func<IReadOnlyList<double>, double[]> stat = s => [s.Average(), s.Max()];
        Assert.Equal(Bootstrap.Percentile(data, stat, 300, seed: 1), Bootstrap.Percentile(data, stat, 300, seed: 1));
        Assert.NotEqual(Bootstrap.Percentile(data, stat, 300, seed: 1), Bootstrap.Percentile(data, stat, 300, seed: 2));
    }

    [Fact]
    public void Quantile_interpolates_between_order_statistics()
    {
        double[] sorted = [1, 2, 3, 4, 5];
        Assert.Equal(3.0, Bootstrap.Quantile(sorted, 0.5));
        Assert.Equal(1.1, Bootstrap.Quantile(sorted, 0.025), 12);
        Assert.Equal(4.9, Bootstrap.Quantile(sorted, 0.975), 12);
    }
}
