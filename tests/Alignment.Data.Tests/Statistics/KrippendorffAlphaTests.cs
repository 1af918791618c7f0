using Alignment.Data.Statistics;

namespace Alignment.Data.Tests.Statistics;

public class KrippendorffAlphaTests
{
    // Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability", section C: 4 observers, 12 units,
    // values 1..5 with missing data. Published: nominal α = 0.743, ordinal α = 0.815, interval α = 0.849
    // (the ordinal value is also the expected result in the fast-krippendorff package's test_ordinal_metric).
    private static readonly double?[][] FourObservers =
    [
        [1, 2, 3, 3, 2, 1, 4, 1, 2, null, null, null],
        [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, null, 3],
        [null, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, null],
        [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, null],
    ];

    [Fact]
    public void Krippendorff_2011_nominal_is_0_743()
    {
        var alpha = KrippendorffAlpha.Compute(FourObservers, MeasurementLevel.Nominal);
        Assert.Equal(0.743, alpha, 3);
        Assert.Equal(1 - 312.0 / 1216.0, alpha, 12); // exact: (n − 1)·8 / (n² − Σ n_c²) with n = 40
    }

    [Fact]
    public void Krippendorff_2011_ordinal_is_0_815()
    {
        Assert.Equal(0.815, KrippendorffAlpha.Compute(FourObservers, MeasurementLevel.Ordinal), 3);
    }

    [Fact]
    public void Krippendorff_2011_interval_is_0_849()
    {
        Assert.Equal(0.849, KrippendorffAlpha.Compute(FourObservers, MeasurementLevel.Interval), 3);
    }

    // Wikipedia, "Krippendorff's alpha", computational example: 3 coders, 15 units;
    // nominal α = 0.691, interval α = 0.811 (fast-krippendorff's tests give 0.691358 and 0.810845).
    [Fact]
    public void Wikipedia_three_coder_example()
    {
        double?[][] data =
        [
            [null, null, null, null, null, 3, 4, 1, 2, 1, 1, 3, 3, null, 3],
            [1, null, 2, 1, 3, 3, 4, 3, null, null, null, null, null, null, null],
            [null, null, 2, 1, 3, 4, 4, null, 2, 1, 1, 3, 3, null, 4],
        ];
        Assert.Equal(0.691358, KrippendorffAlpha.Compute(data, MeasurementLevel.Nominal), 6);
        Assert.Equal(0.810845, KrippendorffAlpha.Compute(data, MeasurementLevel.Interval), 6);
    }

    [Fact]
    public void Perfect_agreement_is_one_and_no_variation_is_undefined()
    {
        double?[][] same = [[1, 2, 3], [1, 2, 3]];
        Assert.Equal(1.0, KrippendorffAlpha.Compute(same, MeasurementLevel.Ordinal), 12);
        Assert.True(double.IsNaN(KrippendorffAlpha.Compute([[1, 1], [1, 1]], MeasurementLevel.Nominal)));
    }
}
