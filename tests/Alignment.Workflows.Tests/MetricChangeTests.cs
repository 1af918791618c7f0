using Alignment.Workflows.Evaluation;

namespace Alignment.Workflows.Tests;

public sealed class MetricChangeTests
{
    private static MetricChange Change(Better better, double low, double high, double tolerance = 0) => new()
    {
        Name = "m", Kind = "metric", Better = better, Unit = "value", Count = 10, Policy = 1, Baseline = 1,
        Delta = (low + high) / 2, Low = low, High = high, Tolerance = tolerance, Method = "paired t",
    };

    [Theory]
    // Higher is better: regression only when the whole interval is below −tolerance.
    [InlineData(Better.Higher, -0.3, -0.1, 0.0, ChangeVerdict.Regression)]
    [InlineData(Better.Higher, -0.3, 0.05, 0.0, ChangeVerdict.NoClearChange)]   // a drop whose interval reaches 0: not a regression, not better
    [InlineData(Better.Higher, 0.1, 0.3, 0.0, ChangeVerdict.Improvement)]
    [InlineData(Better.Higher, -0.3, -0.1, 0.2, ChangeVerdict.NoClearChange)]   // within the tolerance at its upper end
    // Lower is better (an NLL, a penalty): worse means up.
    [InlineData(Better.Lower, 0.06, 0.1, 0.05, ChangeVerdict.Regression)]
    [InlineData(Better.Lower, 0.04, 0.1, 0.05, ChangeVerdict.NoClearChange)]
    [InlineData(Better.Lower, -0.5, -0.2, 0.0, ChangeVerdict.Improvement)]
    // Shown only.
    [InlineData(Better.Neither, -5.0, -4.0, 0.0, ChangeVerdict.NoClearChange)]
    public void The_verdict_follows_the_interval_the_direction_and_the_tolerance(Better better, double low, double high, double tolerance, ChangeVerdict expected)
        => Assert.Equal(expected, Change(better, low, high, tolerance).Verdict);

    [Fact]
    public void No_interval_is_no_verdict_and_a_change_survives_its_json()
    {
        Assert.Equal(ChangeVerdict.NoClearChange, Change(Better.Higher, double.NaN, double.NaN).Verdict);
        var c = Change(Better.Lower, 0.06, 0.1, 0.05);
        var back = MetricChange.FromJson(c.ToJson())!;
        Assert.Equal((c.Name, c.Better, c.Low, c.High, c.Tolerance, c.Verdict), (back.Name, back.Better, back.Low, back.High, back.Tolerance, back.Verdict));
    }
}
