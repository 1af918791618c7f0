using static Alignment.Torch.torch.nn;

namespace Alignment.Torch.Tests;

// Deterministic parameters and gradients for the optimizer tests, as C# doubles and as tensors.
internal static class OptimizerTestData
{
    /// <summary>A deterministic, sign-changing "gradient" for element i of parameter k at step t.</summary>
    public static double Grad(int k, int i, int t) => Math.Sin(0.7 * t + 1.3 * i + 2.1 * k) * (1 + 0.5 * k);

    public static double[] Grads(int k, int n, int t) => Enumerable.Range(0, n).Select(i => Grad(k, i, t)).ToArray();

    public static double[] Initial(int k, int n) => Enumerable.Range(0, n).Select(i => 0.5 - 0.1 * i + 0.3 * k).ToArray();

    public static Parameter NewParameter(double[] values, long[] shape) => new(tensor(values, shape));

    /// <summary>Sets p.grad to the given values (p's shape, float64).</summary>
    public static void SetGrad(Parameter p, double[] values)
    {
        using var g = tensor(values, p.shape);
        p.grad = g;
    }

    public static void AssertClose(double[] expected, double[] actual, double tolerance, string what)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                        $"{what}[{i}]: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance})");
    }
}
