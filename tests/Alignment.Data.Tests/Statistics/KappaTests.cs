using Alignment.Data.Statistics;

namespace Alignment.Data.Tests.Statistics;

public class CohensKappaTests
{
    // Wikipedia, "Cohen's kappa", worked example: 50 grant proposals read by A and B.
    // Yes/Yes 20, A yes B no 5, A no B yes 10, No/No 15: p_o = 0.7, p_e = 0.5, κ = 0.4.
    [Fact]
    public void Wikipedia_two_by_two_example_is_0_4()
    {
        Assert.Equal(0.4, CohensKappa.FromTable(new long[,] { { 20, 5 }, { 10, 15 } }), 12);
    }

    // Wikipedia, "Cohen's kappa", "same percentages but different numbers": two tables with p_o = 0.60
    // and κ = 0.1304 and 0.2593.
    [Fact]
    public void Wikipedia_same_agreement_different_kappa_examples()
    {
        Assert.Equal(0.1304, CohensKappa.FromTable(new long[,] { { 45, 15 }, { 25, 15 } }), 4);
        Assert.Equal(0.2593, CohensKappa.FromTable(new long[,] { { 25, 35 }, { 5, 35 } }), 4);
    }

    // SAS/STAT PROC FREQ "simple kappa" example (3×3 table, n = 19), κ = 0.4842, reproduced in
    // statsmodels' test_inter_rater.py (table10): p_o = 13/19, p_e = 140/361.
    [Fact]
    public void Sas_three_by_three_example_is_0_4842()
    {
        Assert.Equal(0.4842, CohensKappa.FromTable(new long[,] { { 0, 4, 1 }, { 0, 8, 0 }, { 0, 1, 5 } }), 4);
    }

    [Fact]
    public void Labels_build_the_same_table_and_degenerate_cases_are_nan()
    {
        string[] a = [.. Enumerable.Repeat("y", 25), .. Enumerable.Repeat("n", 25)];
        string[] b = [.. Enumerable.Repeat("y", 20), .. Enumerable.Repeat("n", 5), .. Enumerable.Repeat("y", 10), .. Enumerable.Repeat("n", 15)];
        Assert.Equal(0.4, CohensKappa.FromLabels(a, b), 12);
        Assert.Equal(1.0, CohensKappa.FromLabels(a, a), 12);
        Assert.True(double.IsNaN(CohensKappa.FromLabels(["x", "x"], ["x", "x"])));
    }
}

public class FleissKappaTests
{
    // Wikipedia, "Fleiss' kappa", worked example: 14 raters, 10 subjects, 5 categories;
    // P̄ = 0.378, P̄e = 0.213, κ = 0.210 (0.20993 unrounded; also statsmodels' test_fleiss_kappa).
    [Fact]
    public void Wikipedia_worked_example_is_0_210()
    {
        var counts = new long[,]
        {
            { 0, 0, 0, 0, 14 }, { 0, 2, 6, 4, 2 }, { 0, 0, 3, 5, 6 }, { 0, 3, 9, 2, 0 }, { 2, 2, 8, 1, 1 },
            { 7, 7, 0, 0, 0 }, { 3, 2, 6, 3, 0 }, { 2, 5, 3, 2, 2 }, { 6, 5, 2, 1, 0 }, { 0, 2, 2, 3, 7 },
        };
        Assert.Equal(0.20993, FleissKappa.Compute(counts), 5);
    }

    // Fleiss (1971), Psychological Bulletin 76(5): 30 patients, 6 psychiatrists each, 5 diagnoses;
    // κ = 0.430 (R irr::kappam.fleiss gives 0.4302445, reproduced in statsmodels' test_fleiss_kappa_irr).
    [Fact]
    public void Fleiss_1971_diagnoses_example_is_0_430()
    {
        int[][] diagnoses =
        [
            [4, 4, 4, 4, 4, 4], [2, 2, 2, 5, 5, 5], [2, 3, 3, 3, 3, 5], [5, 5, 5, 5, 5, 5], [2, 2, 2, 4, 4, 4],
            [1, 1, 3, 3, 3, 3], [3, 3, 3, 3, 5, 5], [1, 1, 3, 3, 3, 4], [1, 1, 4, 4, 4, 4], [5, 5, 5, 5, 5, 5],
            [1, 4, 4, 4, 4, 4], [1, 2, 4, 4, 4, 4], [2, 2, 2, 3, 3, 3], [1, 4, 4, 4, 4, 4], [2, 2, 4, 4, 4, 5],
            [3, 3, 3, 3, 3, 5], [1, 1, 1, 4, 5, 5], [1, 1, 1, 1, 1, 2], [2, 2, 4, 4, 4, 4], [1, 3, 3, 5, 5, 5],
            [5, 5, 5, 5, 5, 5], [2, 4, 4, 4, 4, 4], [2, 2, 4, 5, 5, 5], [1, 1, 4, 4, 4, 4], [1, 4, 4, 4, 4, 5],
            [2, 2, 2, 2, 2, 4], [1, 1, 1, 1, 5, 5], [2, 2, 4, 4, 4, 4], [1, 3, 3, 3, 3, 3], [5, 5, 5, 5, 5, 5],
        ];
        var counts = new long[30, 5];
        for (var i = 0; i < 30; i++)
            foreach (var d in diagnoses[i])
                counts[i, d - 1]++;
        Assert.Equal(0.4302445, FleissKappa.Compute(counts), 7);
    }

    [Fact]
    public void Unequal_rater_counts_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => FleissKappa.Compute(new long[,] { { 2, 0 }, { 1, 2 } }));
    }
}
