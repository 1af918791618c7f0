namespace Alignment.Torch.Tests;

internal static class TensorAssert
{
    /// <summary>Same shape and |actual − expected| ≤ atol + rtol·|expected| everywhere (NaN never passes).</summary>
    public static void Close(Tensor expected, Tensor actual, double atol, double rtol, string what = "tensor")
    {
        Assert.Equal(expected.shape, actual.shape);
        double[] e, a;
        using (NewDisposeScope())
        {
            e = expected.detach().to(float64).data<double>();
            a = actual.detach().to(float64).data<double>();
        }
        Close(e, a, atol, rtol, what);
    }

    public static void Close(double[] expected, double[] actual, double atol, double rtol, string what = "values")
    {
        Assert.Equal(expected.Length, actual.Length);
        int bad = -1;
        double worst = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double err = Math.Abs(actual[i] - expected[i]);
            bool ok = err <= atol + rtol * Math.Abs(expected[i]);
            if (!ok && (bad < 0 || !(err <= worst))) { bad = i; worst = err; }
        }
        if (bad >= 0)
            Assert.Fail($"{what}: element {bad} is {actual[bad]:R}, expected {expected[bad]:R} (|diff| {worst:R}, atol {atol}, rtol {rtol})");
    }

    public static void AllFinite(Tensor t, string what)
    {
        using var scope = NewDisposeScope();
        var v = t.detach().to(float64).data<double>();
        Assert.True(v.All(double.IsFinite), $"{what} has a non-finite element");
    }
}
