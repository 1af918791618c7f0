using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;
using static Alignment.Torch.Tests.OptimizerTestData;

namespace Alignment.Torch.Tests;

// AdamW against the published update rule (Loshchilov & Hutter; PyTorch's torch.optim.AdamW) computed here in doubles.
public class AdamWTests
{
    /// <summary>One AdamW step of the textbook form: decoupled decay, then Adam with bias-corrected moments.</summary>
    private static void ReferenceStep(double[] p, double[] m, double[] v, double[] g, int t, double lr, double b1, double b2,
                                      double eps, double wd)
    {
        for (int i = 0; i < p.Length; i++)
        {
            p[i] *= 1 - lr * wd;
            m[i] = b1 * m[i] + (1 - b1) * g[i];
            v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
            double mHat = m[i] / (1 - Math.Pow(b1, t));
            double vHat = v[i] / (1 - Math.Pow(b2, t));
            p[i] -= lr * mHat / (Math.Sqrt(vHat) + eps);
        }
    }

    [Fact]
    public void Float64_steps_match_the_update_rule_per_group_and_skip_parameters_without_grad()
    {
        // Tolerance 1e-12: float64 arithmetic, the only difference is evaluation order (√v/√bc2 vs √(v/bc2)).
        const double tolerance = 1e-12, b1 = 0.8, b2 = 0.95, eps = 1e-6;
        var shapes = new[] { new long[] { 2, 3 }, new long[] { 3 }, new long[] { 4 } };
        var sizes = new[] { 6, 3, 4 };
        var expected = Enumerable.Range(0, 3).Select(k => Initial(k, sizes[k])).ToArray();
        var m = sizes.Select(n => new double[n]).ToArray();
        var v = sizes.Select(n => new double[n]).ToArray();
        var ps = Enumerable.Range(0, 3).Select(k => NewParameter(expected[k].ToArray(), shapes[k])).ToArray();
        try
        {
            var groups = new[]
            {
                new ParamGroup(new[] { ps[0] }, lr: 0.05, weight_decay: 0.1),
                new ParamGroup(new[] { ps[1], ps[2] }),          // optimizer defaults: lr 0.02, weight_decay 0.01
            };
            using var opt = new AdamW(groups, lr: 0.02, beta1: b1, beta2: b2, eps: eps, weight_decay: 0.01);
            Assert.Equal(0.05, opt.param_groups[0].lr);
            Assert.Equal(0.01, opt.param_groups[1].weight_decay);
            for (int t = 1; t <= 5; t++)
            {
                for (int k = 0; k < 2; k++) SetGrad(ps[k], Grads(k, sizes[k], t));   // ps[2] never gets a gradient
                opt.step();
                ReferenceStep(expected[0], m[0], v[0], Grads(0, 6, t), t, 0.05, b1, b2, eps, 0.1);
                ReferenceStep(expected[1], m[1], v[1], Grads(1, 3, t), t, 0.02, b1, b2, eps, 0.01);
                for (int k = 0; k < 3; k++) AssertClose(expected[k], ps[k].data<double>(), tolerance, $"step {t} param {k}");
            }
            Assert.Equal(5, opt.state_of(ps[0])!.step);
            Assert.Equal(5, opt.state_of(ps[1])!.step);
            Assert.Null(opt.state_of(ps[2]));
            AssertClose(m[0], opt.state_of(ps[0])!.tensors["exp_avg"].data<double>(), tolerance, "exp_avg");
            AssertClose(v[1], opt.state_of(ps[1])!.tensors["exp_avg_sq"].data<double>(), tolerance, "exp_avg_sq");
            Assert.Equal(Initial(2, 4), ps[2].data<double>());
        }
        finally
        {
            foreach (var p in ps) p.Dispose();
        }
    }

    [Fact]
    public void Float32_defaults_match_the_update_rule_and_state_follows_the_parameter_dtype()
    {
        // Defaults lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight_decay 0.01. Tolerance 1e-6: float32 rounding.
        var expected = Initial(0, 5);
        var m = new double[5];
        var v = new double[5];
        using var p = new Parameter(tensor(expected.Select(x => (float)x).ToArray()));
        using var opt = new AdamW(new[] { p });
        for (int t = 1; t <= 4; t++)
        {
            var g = Grads(0, 5, t);
            using (var gt = tensor(g.Select(x => (float)x).ToArray())) p.grad = gt;
            opt.step();
            ReferenceStep(expected, m, v, g.Select(x => (double)(float)x).ToArray(), t, 1e-3, 0.9, 0.999, 1e-8, 0.01);
        }
        AssertClose(expected, p.data<float>().Select(x => (double)x).ToArray(), 1e-6, "param");
        Assert.Equal(ScalarType.Float32, opt.state_of(p)!.tensors["exp_avg"].dtype);
    }

    [Fact]
    public void Invalid_hyper_parameters_and_duplicate_parameters_are_rejected()
    {
        using var p = new Parameter(zeros(2));
        Assert.Throws<TorchException>(() => new AdamW(new[] { p }, beta1: 1.0));
        Assert.Throws<TorchException>(() => new AdamW(new[] { p }, lr: -1));
        Assert.Throws<TorchException>(() => new AdamW(Array.Empty<Parameter>()));
        var e = Assert.Throws<TorchException>(() => new AdamW(new[] { new ParamGroup(new[] { p }), new ParamGroup(new[] { p }) }));
        Assert.Contains("more than one parameter group", e.Message);
    }

    [Fact]
    public void With_weight_decay_puts_matrices_in_the_decayed_group_and_biases_and_norms_in_the_other()
    {
        using var g = new Generator(0);
        using var model = new TinyScorer(vocab: 7, dim: 4, layers: 1, generator: g);
        model.model.layers[0].requires_grad_(false);
        var groups = ParamGroup.with_weight_decay(model.named_parameters(), 0.1);
        Assert.Equal(new[] { "model.embed_tokens.weight", "score.weight" }, groups[0].param_names);
        Assert.Equal(new[] { "model.norm.weight" }, groups[1].param_names);
        using var opt = new AdamW(groups, lr: 1e-3, weight_decay: 0.5);
        Assert.Equal(0.1, opt.param_groups[0].weight_decay);
        Assert.Equal(0.0, opt.param_groups[1].weight_decay);
    }
}
