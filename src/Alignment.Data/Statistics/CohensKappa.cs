namespace Alignment.Data.Statistics;

/// <summary>
/// Cohen's κ for two raters on a nominal scale (Cohen 1960): κ = (p_o − p_e) / (1 − p_e), where p_o is the
/// observed agreement and p_e the agreement expected from each rater's own marginals.
/// </summary>
public static class CohensKappa
{
    /// <summary>
    /// κ from a square contingency table: <paramref name="table"/>[i, j] counts items rater 1 put in category i
    /// and rater 2 in category j. Returns NaN when p_e = 1 (both raters used one and the same category only),
    /// where κ is undefined.
    /// </summary>
    public static double FromTable(long[,] table)
    {
        var k = table.GetLength(0);
        if (k != table.GetLength(1))
            throw new ArgumentException("The table must be square.", nameof(table));
        double n = 0, agree = 0;
        var rows = new double[k];
        var columns = new double[k];
        for (var i = 0; i < k; i++)
        for (var j = 0; j < k; j++)
        {
            var count = table[i, j];
            if (count < 0)
                throw new ArgumentException("Counts must be non-negative.", nameof(table));
            n += count;
            rows[i] += count;
            columns[j] += count;
            if (i == j) agree += count;
        }
        if (n == 0)
            return double.NaN;
        var observed = agree / n;
        var expected = 0.0;
        for (var i = 0; i < k; i++)
            expected += rows[i] / n * (columns[i] / n);
        return expected >= 1 ? double.NaN : (observed - expected) / (1 - expected);
    }

    /// <summary>κ from two raters' labels of the same items, in the same order.</summary>
    public static double FromLabels<T>(IReadOnlyList<T> rater1, IReadOnlyList<T> rater2) where T : notnull
    {
        if (rater1.Count != rater2.Count)
            throw new ArgumentException("Both raters must label the same items.");
        var categories = rater1.Concat(rater2).Distinct().Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i);
        var table = new long[categories.Count, categories.Count];
        for (var i = 0; i < rater1.Count; i++)
            table[categories[rater1[i]], categories[rater2[i]]]++;
        return FromTable(table);
    }
}
