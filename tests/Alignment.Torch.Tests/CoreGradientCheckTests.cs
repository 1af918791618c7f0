namespace Alignment.Torch.Tests;

// Analytic gradients of core ops (libtorch's autograd through our bridge) against float64 central finite differences.
// Tolerance everywhere: eps 1e-6, |backward − numeric| ≤ 1e-6 + 1e-5·|numeric|.
public class CoreGradientCheckTests
{
    private const double Eps = 1e-6, Atol = 1e-6, Rtol = 1e-5;

    private static Tensor Randn(ulong seed, params long[] shape)
    {
        using var gen = new Generator(seed);
        return randn(shape, float64, generator: gen);
    }

    [Fact]
    public void Checker_flags_a_wrong_gradient()
    {
        // f(x) = Σ w·x·detach(x): backward sees w·x, the true gradient is 2·w·x. The checker must notice.
        using var scope = NewDisposeScope();
        var x = Randn(1, 3, 4);
        var f = GradientChecker.Projected(xs => xs[0] * xs[0].detach(), new[] { x });
        var mismatches = GradientChecker.Compare(f, new[] { x }, new[] { 0 }, Eps, Atol, Rtol);
        Assert.Equal(12, mismatches.Count);
        foreach (var m in mismatches) Assert.Equal(2 * m.Analytic, m.Numeric, 1e-6);
    }

    [Fact]
    public void Sum_over_a_dim_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var x = Randn(2, 3, 4, 5);
        var f = GradientChecker.Projected(xs => xs[0].sum(1), new[] { x });
        GradientChecker.AssertGradientsMatch(f, new[] { x }, new[] { 0 }, Eps, Atol, Rtol);
    }

    [Fact]
    public void Mean_keepdim_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var x = Randn(3, 3, 4, 5);
        var f = GradientChecker.Projected(xs => xs[0].mean(-1, keepdim: true) * xs[0], new[] { x });
        GradientChecker.AssertGradientsMatch(f, new[] { x }, new[] { 0 }, Eps, Atol, Rtol);
    }

    [Fact]
    public void Softmax_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var x = Randn(4, 3, 6);
        var f = GradientChecker.Projected(xs => nn.functional.softmax(xs[0], -1), new[] { x });
        GradientChecker.AssertGradientsMatch(f, new[] { x }, new[] { 0 }, Eps, Atol, Rtol);
    }

    [Fact]
    public void Log_softmax_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var x = Randn(5, 3, 6);
        var f = GradientChecker.Projected(xs => nn.functional.log_softmax(xs[0], 0), new[] { x });
        GradientChecker.AssertGradientsMatch(f, new[] { x }, new[] { 0 }, Eps, Atol, Rtol);
    }

    [Fact]
    public void Cross_entropy_with_ignore_index_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var logits = Randn(6, 5, 7);
        var targets = tensor(new long[] { 3, -100, 0, 6, -100 });
        var inputs = new[] { logits, targets };
        // Mean over the 3 non-ignored rows: the ignored rows must get zero gradient and stay out of the denominator.
        Tensor Loss(Tensor[] xs) => nn.functional.cross_entropy(xs[0], xs[1], ignore_index: -100);
        GradientChecker.AssertGradientsMatch(Loss, inputs, new[] { 0 }, Eps, Atol, Rtol);

        var g = GradientChecker.Analytic(Loss, inputs, new[] { 0 })[0];
        for (int c = 0; c < 7; c++)
        {
            Assert.Equal(0.0, g[1 * 7 + c]);
            Assert.Equal(0.0, g[4 * 7 + c]);
        }
        // Each kept row's gradient is (softmax − onehot) / 3: it sums to 0 over the classes, and at the target (row 0,
        // class 3) it is softmax/3 − 1/3.
        Assert.Equal(0.0, g.Take(7).Sum(), 12);
        Assert.Equal(-1.0 / 3, g[3] - nn.functional.softmax(logits, -1).select(0, 0).select(0, 3).item<double>() / 3, 12);
    }
}
