using Alignment.Data.Statistics;

namespace Alignment.Data.Tests.Statistics;

public sealed class PairedDifferenceTests
{
    [Fact]
    public void The_interval_is_the_paired_t_interval_computed_by_hand()
    {
        // d = [1, 0, 0, 1, 0]: mean 0.4; s_d = √(1.2 / 4) = 0.5477226; se = s_d / √5 = 0.2449490;
        // t(0.975, 4) = 2.7764451; half width 0.6800874. Tolerance 1e-6.
        var d = PairedDifference.Of([1, 1, 0, 1, 0], [0, 1, 0, 0, 0]);
        Assert.Equal(5, d.Count);
        Assert.Equal(0.6, d.Policy, 12);
        Assert.Equal(0.2, d.Baseline, 12);
        Assert.Equal(0.4, d.Delta, 12);
        Assert.Equal(0.4 - 0.6800874, d.Low, 6);
        Assert.Equal(0.4 + 0.6800874, d.High, 6);
    }

    [Fact]
    public void Pairing_removes_the_spread_between_items()
    {
        // Every item drops by exactly 1 although the items differ widely: the interval is the single value −1.
        var d = PairedDifference.Of([9, 0, 4, 99], [10, 1, 5, 100]);
        Assert.Equal((-1.0, -1.0, -1.0), (d.Delta, d.Low, d.High));
    }

    [Fact]
    public void One_item_has_no_interval_and_mismatched_lists_are_refused()
    {
        var one = PairedDifference.Of([1], [0]);
        Assert.Equal(1, one.Delta);
        Assert.True(double.IsNaN(one.Low) && double.IsNaN(one.High));
        Assert.Throws<ArgumentException>(() => PairedDifference.Of([1, 2], [1]));
    }
}
