namespace Alignment.Data.Statistics;

/// <summary>
/// Fleiss' κ for a fixed number of raters per subject on a nominal scale (Fleiss 1971). The raters of one
/// subject need not be those of another. κ = (P̄ − P̄_e) / (1 − P̄_e), with P̄ the mean pairwise agreement
/// within subjects and P̄_e = Σ_j p_j² from the pooled category proportions.
/// </summary>
public static class FleissKappa
{
    /// <summary>
    /// κ from <paramref name="counts"/>[subject, category] = how many raters put the subject in the category.
    /// Every row must sum to the same n ≥ 2. Returns NaN when P̄_e = 1 (a single category used throughout).
    /// </summary>
    public static double Compute(long[,] counts)
    {
        var subjects = counts.GetLength(0);
        var categories = counts.GetLength(1);
        if (subjects == 0)
            return double.NaN;
        long raters = -1;
        var columnTotals = new double[categories];
        var agreementSum = 0.0;
        for (var i = 0; i < subjects; i++)
        {
            long rowTotal = 0, squares = 0;
            for (var j = 0; j < categories; j++)
            {
                var count = counts[i, j];
                if (count < 0)
                    throw new ArgumentException("Counts must be non-negative.", nameof(counts));
                rowTotal += count;
                squares += count * count;
                columnTotals[j] += count;
            }
            if (raters < 0) raters = rowTotal;
            if (rowTotal != raters)
                throw new ArgumentException($"Subject {i} has {rowTotal} ratings but subject 0 has {raters}; Fleiss' κ needs the same number for every subject.", nameof(counts));
            if (raters < 2)
                throw new ArgumentException("Fleiss' κ needs at least two ratings per subject.", nameof(counts));
            agreementSum += (double)(squares - rowTotal) / (rowTotal * (rowTotal - 1));
        }
        var meanAgreement = agreementSum / subjects;
        var total = (double)subjects * raters;
        var expected = columnTotals.Sum(t => (t / total) * (t / total));
        return expected >= 1 ? double.NaN : (meanAgreement - expected) / (1 - expected);
    }
}
