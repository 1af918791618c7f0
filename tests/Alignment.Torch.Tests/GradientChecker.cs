namespace Alignment.Torch.Tests;

/// <summary>
/// Float64 central finite differences: ∂f/∂xⱼ ≈ (f(x + eps·eⱼ) − f(x − eps·eⱼ)) / (2·eps), compared with the gradient
/// that backward() computes. f maps the inputs to a one-element tensor; to check an op with a tensor result, project it
/// to a scalar with fixed random weights (<see cref="Projected"/>) so every output element carries a distinct weight
/// (a plain sum would hide errors, e.g. the gradient of sum(softmax(x)) is 0 whatever the backward does).
/// </summary>
internal static class GradientChecker
{
    internal readonly record struct Mismatch(int Input, long Index, double Analytic, double Numeric);

    /// <summary>f(inputs) = sum(op(inputs) · w) with w ~ N(0, 1) of the op's output shape, drawn once from seed.</summary>
    public static Func<Tensor[], Tensor> Projected(Func<Tensor[], Tensor> op, Tensor[] inputs, ulong seed = 1234)
    {
        long[] shape;
        using (NewDisposeScope())
        using (no_grad())
            shape = op(inputs).shape;
        double[] w;
        using (var gen = new Generator(seed))
        using (NewDisposeScope())
            w = randn(shape, float64, generator: gen).data<double>();
        return xs => (op(xs).to(float64) * tensor(w, shape)).sum();
    }

    /// <summary>Gradients from backward() of f with respect to inputs[wrt[i]] (float64 leaves copied from the inputs).</summary>
    public static double[][] Analytic(Func<Tensor[], Tensor> f, Tensor[] inputs, int[] wrt)
    {
        using var scope = NewDisposeScope();
        var args = (Tensor[])inputs.Clone();
        foreach (int i in wrt) args[i] = inputs[i].detach().clone().requires_grad_();
        var y = f(args);
        Assert.Equal(1, y.numel());
        y.backward();
        return wrt.Select(i => args[i].grad?.data<double>() ?? throw new Xunit.Sdk.XunitException($"input {i} got no gradient")).ToArray();
    }

    /// <summary>Central-difference gradient of f with respect to inputs[which] (must be float64).</summary>
    public static double[] Numeric(Func<Tensor[], Tensor> f, Tensor[] inputs, int which, double eps)
    {
        Assert.Equal(ScalarType.Float64, inputs[which].dtype);
        var x = inputs[which].data<double>();
        var shape = inputs[which].shape;
        var grad = new double[x.Length];
        using var noGrad = no_grad();
        for (int j = 0; j < x.Length; j++)
        {
            double saved = x[j];
            x[j] = saved + eps;
            double up = Eval(f, inputs, which, x, shape);
            x[j] = saved - eps;
            double down = Eval(f, inputs, which, x, shape);
            x[j] = saved;
            grad[j] = (up - down) / (2 * eps);
        }
        return grad;
    }

    private static double Eval(Func<Tensor[], Tensor> f, Tensor[] inputs, int which, double[] x, long[] shape)
    {
        using var scope = NewDisposeScope();
        var args = (Tensor[])inputs.Clone();
        args[which] = tensor(x, shape);
        return f(args).item<double>();
    }

    /// <summary>Every element where |analytic − numeric| &gt; atol + rtol·|numeric|.</summary>
    public static List<Mismatch> Compare(Func<Tensor[], Tensor> f, Tensor[] inputs, int[] wrt, double eps, double atol, double rtol)
    {
        var analytic = Analytic(f, inputs, wrt);
        var result = new List<Mismatch>();
        for (int w = 0; w < wrt.Length; w++)
        {
            var numeric = Numeric(f, inputs, wrt[w], eps);
            Assert.Equal(numeric.Length, analytic[w].Length);
            for (int j = 0; j < numeric.Length; j++)
                if (!(Math.Abs(analytic[w][j] - numeric[j]) <= atol + rtol * Math.Abs(numeric[j])))
                    result.Add(new Mismatch(wrt[w], j, analytic[w][j], numeric[j]));
            // A check that compares zeros with zeros proves nothing: each input must influence f.
            Assert.True(numeric.Any(g => Math.Abs(g) > 1e-3), $"f does not depend on input {wrt[w]}: the check would be vacuous");
        }
        return result;
    }

    /// <summary>Fails with the worst mismatches when backward() and finite differences disagree.</summary>
    public static void AssertGradientsMatch(Func<Tensor[], Tensor> f, Tensor[] inputs, int[] wrt, double eps = 1e-6,
                                            double atol = 1e-6, double rtol = 1e-5)
    {
        var mismatches = Compare(f, inputs, wrt, eps, atol, rtol);
        if (mismatches.Count == 0) return;
        var worst = mismatches.OrderByDescending(m => Math.Abs(m.Analytic - m.Numeric)).Take(5)
            .Select(m => $"input {m.Input}[{m.Index}]: backward {m.Analytic:R}, finite difference {m.Numeric:R}");
        Assert.Fail($"{mismatches.Count} gradient element(s) differ (eps {eps}, atol {atol}, rtol {rtol}):\n  " + string.Join("\n  ", worst));
    }
}
