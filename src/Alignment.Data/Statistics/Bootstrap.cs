namespace Alignment.Data.Statistics;

/// <summary>A two-sided confidence interval.</summary>
/// <param name="Lower">Lower bound.</param>
/// <param name="Upper">Upper bound.</param>
public readonly record struct Interval(double Lower, double Upper)
{
    /// <summary>Whether <paramref name="value"/> lies within the bounds.</summary>
    public bool Contains(double value) => value >= Lower && value <= Upper;
}

/// <summary>
/// Percentile bootstrap (Efron 1979): resample the observations with replacement, recompute the statistic,
/// and take the (1−c)/2 and (1+c)/2 quantiles of the replicates (linear interpolation between order statistics).
/// Seeded: the same data, statistic, count and seed give the same intervals.
/// </summary>
public static class Bootstrap
{
    /// <summary>
    /// Intervals for each component of a vector statistic. Replicates in which a component is not finite are
    /// left out for that component (an item absent from a resample, say).
    /// </summary>
    public static Interval[] Percentile<T>(IReadOnlyList<T> observations, Func<IReadOnlyList<T>, double[]> statistic,
        int resamples = 1000, int seed = 0, double confidence = 0.95)
    {
        if (resamples < 1)
            throw new ArgumentOutOfRangeException(nameof(resamples));
        if (confidence is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(confidence));
        var random = new Random(seed);
        var buffer = new T[observations.Count];
        List<double>[]? replicates = null;
        for (var b = 0; b < resamples; b++)
        {
            for (var i = 0; i < buffer.Length; i++)
                buffer[i] = observations[random.Next(observations.Count)];
            var values = statistic(buffer);
            replicates ??= values.Select(_ => new List<double>(resamples)).ToArray();
            for (var c = 0; c < values.Length; c++)
                if (double.IsFinite(values[c]))
                    replicates[c].Add(values[c]);
        }
        var alpha = (1 - confidence) / 2;
        return (replicates ?? []).Select(r =>
        {
            if (r.Count == 0)
                return new Interval(double.NaN, double.NaN);
            r.Sort();
            return new Interval(Quantile(r, alpha), Quantile(r, 1 - alpha));
        }).ToArray();
    }

    /// <summary>The q-quantile of sorted values, interpolating linearly between order statistics (Hyndman–Fan type 7).</summary>
    public static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        var position = q * (sorted.Count - 1);
        var low = (int)Math.Floor(position);
        var high = Math.Min(low + 1, sorted.Count - 1);
        return sorted[low] + (position - low) * (sorted[high] - sorted[low]);
    }
}
