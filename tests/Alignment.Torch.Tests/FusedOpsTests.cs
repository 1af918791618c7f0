namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// rms_norm, apply_rotary, rotary_cos_sin, swiglu and logprobs_of against their unfused compositions (Unfused.cs) and
// hand-computed values. Tolerances: float64 atol 1e-12 / rtol 1e-10; float32 atol 1e-5 / rtol 1e-5; bf16 as stated.
public class FusedOpsTests
{
    private const double Atol64 = 1e-12, Rtol64 = 1e-10, Tol32 = 1e-5;

    private static Tensor Randn(ulong seed, ScalarType dtype, params long[] shape)
    {
        using var gen = new Generator(seed);
        return randn(shape, float64, generator: gen).to(dtype);
    }

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    public void Rms_norm_matches_llama_rms_norm(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        var x = Randn(1, dtype, 2, 3, 16);
        var w = Randn(2, dtype, 16);
        FusedVsReference.AssertSame(xs => F.rms_norm(xs[0], xs[1], 1e-6), xs => Unfused.RmsNorm(xs[0], xs[1], 1e-6),
                                    new[] { x, w }, new[] { 0, 1 }, atol, rtol);
    }

    [Fact]
    public void Rms_norm_in_bfloat16_normalizes_in_float32_then_casts_before_the_weight()
    {
        using var scope = NewDisposeScope();
        var x = Randn(3, ScalarType.BFloat16, 4, 32);
        var w = Randn(4, ScalarType.BFloat16, 32);
        var y = F.rms_norm(x, w, 1e-6);
        Assert.Equal(ScalarType.BFloat16, y.dtype);
        // The same ops in HF's order give the same bf16 numbers (up to one bf16 rounding step, 2^-8 relative).
        TensorAssert.Close(Unfused.RmsNorm(x, w, 1e-6), y, 1e-6, 1.0 / 128, "bf16 forward");
        // And both are within bf16 rounding of the exact float64 result.
        TensorAssert.Close(Unfused.RmsNorm(x.to(float64), w.to(float64), 1e-6), y, 1e-6, 1.0 / 64, "bf16 vs float64");
        // Gradients (bf16 in, bf16 out) agree with the composition's to bf16 precision.
        FusedVsReference.AssertSame(xs => F.rms_norm(xs[0], xs[1], 1e-6), xs => Unfused.RmsNorm(xs[0], xs[1], 1e-6),
                                    new[] { x, w }, new[] { 0, 1 }, atol: 0.02, rtol: 0.02);
    }

    [Fact]
    public void Rms_norm_of_a_constant_row_is_the_weight()
    {
        // x = c·1: mean(x²) = c², so y = w · c / sqrt(c² + eps) = w · 3/sqrt(9 + 1e-3) exactly in float64.
        using var scope = NewDisposeScope();
        var x = full(new long[] { 1, 4 }, 3.0, float64);
        var w = tensor(new double[] { 1, -2, 0.5, 4 });
        var y = F.rms_norm(x, w, 1e-3).data<double>();
        double s = 3 / Math.Sqrt(9 + 1e-3);
        TensorAssert.Close(new[] { s, -2 * s, 0.5 * s, 4 * s }, y, 1e-15, 1e-14);
    }

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    public void Rotary_matches_rotate_half_composition_for_shared_and_per_sequence_positions(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        var x = Randn(5, dtype, 2, 3, 4, 8);
        var (cos, sin) = F.rotary_cos_sin(arange(3, 7), 8, 10000.0, dtype);  // (T, D): positions 3..6 (after a cache of 3)
        FusedVsReference.AssertSame(xs => F.apply_rotary(xs[0], cos, sin), xs => Unfused.Rotary(xs[0], cos, sin),
                                    new[] { x }, new[] { 0 }, atol, rtol);
        var positions = tensor(new long[] { 0, 1, 2, 3, 0, 0, 1, 2 }, new long[] { 2, 4 });  // sequence 1 left-padded
        var (cb, sb) = F.rotary_cos_sin(positions, 8, 500.0, dtype);
        Assert.Equal(new long[] { 2, 1, 4, 8 }, cb.shape);
        FusedVsReference.AssertSame(xs => F.apply_rotary(xs[0], cb, sb), xs => Unfused.Rotary(xs[0], cb, sb),
                                    new[] { x }, new[] { 0 }, atol, rtol);
    }

    [Fact]
    public void Rotary_preserves_the_norm_of_each_rotated_pair()
    {
        // With HF tables each pair (x[i], x[i + D/2]) is rotated by the angle position·inv_freq[i]: norms are kept.
        using var scope = NewDisposeScope();
        var x = Randn(6, float64, 1, 2, 5, 16);
        var (cos, sin) = F.rotary_cos_sin(arange(5), 16, 10000.0, float64);
        var y = F.apply_rotary(x, cos, sin);
        Tensor PairNorms(Tensor t) => t.slice(-1, 0, 8).square() + t.slice(-1, 8, 16).square();
        TensorAssert.Close(PairNorms(x), PairNorms(y), 1e-12, 1e-12, "pair norms");
        TensorAssert.Close(x.select(2, 0), y.select(2, 0), 0, 0, "position 0 is the identity");
    }

    [Theory]
    [InlineData(ScalarType.Float64, 1e-13)]
    [InlineData(ScalarType.Float32, 2e-6)]
    public void Rotary_tables_follow_the_hf_formula(ScalarType dtype, double atol)
    {
        using var scope = NewDisposeScope();
        long[] pos = { 0, 3, 7 };
        const int d = 8;
        const double theta = 10000;
        var (cos, sin) = F.rotary_cos_sin(tensor(pos), d, theta, dtype);
        Assert.Equal(new long[] { 3, d }, cos.shape);
        Assert.Equal(dtype, cos.dtype);
        var ec = new double[3 * d];
        var es = new double[3 * d];
        for (int t = 0; t < 3; t++)
            for (int j = 0; j < d; j++)
            {
                double angle = pos[t] / Math.Pow(theta, 2.0 * (j % (d / 2)) / d);  // emb = cat(freqs, freqs)
                ec[t * d + j] = Math.Cos(angle);
                es[t * d + j] = Math.Sin(angle);
            }
        TensorAssert.Close(ec, cos.to(float64).data<double>(), atol, 0, "cos");
        TensorAssert.Close(es, sin.to(float64).data<double>(), atol, 0, "sin");
    }

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    [InlineData(ScalarType.BFloat16, 2e-2, 2e-2)]
    public void Swiglu_matches_silu_times_up(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        var a = Randn(7, dtype, 3, 4, 10) * 4;
        var b = Randn(8, dtype, 3, 4, 10);
        FusedVsReference.AssertSame(xs => F.swiglu(xs[0], xs[1]), xs => Unfused.Swiglu(xs[0], xs[1]),
                                    new[] { a, b }, new[] { 0, 1 }, atol, rtol);
    }

    [Fact]
    public void Swiglu_float32_kernel_over_blocks_tails_and_saturated_inputs_matches_the_formula_in_double()
    {
        // 3·1001 elements: several 512-element blocks, a partial block and an exp tail that is not a multiple of 8.
        // Gates run from −100 to 100 (σ saturates beyond ±88 in float32) plus exact 0. Expected values from the closed
        // forms in double: h = a·σ(a)·b, ∂h/∂a = g·b·σ(a)(1 + a(1 − σ(a))), ∂h/∂b = g·a·σ(a). Tolerance: atol 1e-5 on
        // values scaled by 1 + |expected| (float32 rounding of products of magnitude up to ~100).
        using var scope = NewDisposeScope();
        const int n = 3 * 1001;
        var av = new double[n];
        var bv = new double[n];
        var gv = new double[n];
        for (int i = 0; i < n; i++)
        {
            av[i] = i % 97 == 0 ? 0 : -100 + 200.0 * i / (n - 1);
            bv[i] = Math.Sin(0.37 * i) + 0.1;
            gv[i] = Math.Cos(0.11 * i);
        }
        var a = tensor(av, new long[] { 3, 1001 }).to(float32).requires_grad_();
        var b = tensor(bv, new long[] { 3, 1001 }).to(float32).requires_grad_();
        var h = F.swiglu(a, b);
        h.backward(tensor(gv, new long[] { 3, 1001 }).to(float32));
        double[] hv = h.to(float64).data<double>(), gav = a.grad!.to(float64).data<double>(), gbv = b.grad!.to(float64).data<double>();
        for (int i = 0; i < n; i++)
        {
            // the float32 inputs, widened
            double x = (float)av[i], y = (float)bv[i], g = (float)gv[i];
            double sg = 1 / (1 + Math.Exp(-x));
            Near(x * sg * y, hv[i], $"h[{i}] (a = {x})");
            Near(g * y * sg * (1 + x * (1 - sg)), gav[i], $"grad a[{i}] (a = {x})");
            Near(g * x * sg, gbv[i], $"grad b[{i}] (a = {x})");
        }

        static void Near(double expected, double actual, string what) =>
            Assert.True(Math.Abs(expected - actual) <= 1e-5 * (1 + Math.Abs(expected)), $"{what}: expected {expected}, got {actual}");
    }

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    public void Logprobs_match_log_softmax_gather_with_ignored_positions(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        var logits = Randn(9, dtype, 2, 4, 11) * 3;
        var targets = tensor(new long[] { -100, 3, 10, 0, 7, 7, -100, -100 }, new long[] { 2, 4 });
        FusedVsReference.AssertSame(xs => F.logprobs_of(xs[0], targets), xs => Unfused.Logprobs(xs[0], targets, -100),
                                    new[] { logits }, new[] { 0 }, atol, rtol);
        // Another ignore index: -100 is now an ordinary (invalid) target, so use 5 as the skip marker.
        var t2 = tensor(new long[] { 5, 3, 10, 0, 5, 7, 1, 2 }, new long[] { 2, 4 });
        FusedVsReference.AssertSame(xs => F.logprobs_of(xs[0], t2, ignore_index: 5), xs => Unfused.Logprobs(xs[0], t2, 5),
                                    new[] { logits }, new[] { 0 }, atol, rtol);
    }

    [Fact]
    public void Logprobs_of_a_tiny_example_by_hand_and_zero_gradient_rows_when_ignored()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new double[] { 1, 2, 3, 0, 0, 0 }, new long[] { 1, 2, 3 }, requires_grad: true);
        var targets = tensor(new long[] { 2, -100 }, new long[] { 1, 2 });
        var lp = F.logprobs_of(logits, targets);
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        TensorAssert.Close(new[] { 3 - Math.Log(z), 0.0 }, lp.data<double>(), 1e-15, 1e-15, "log-probs");
        lp.sum().backward();
        // d/dlogits log p(target) = onehot(target) − softmax; the ignored row gets nothing.
        var expected = new[] { -Math.Exp(1) / z, -Math.Exp(2) / z, 1 - Math.Exp(3) / z, 0, 0, 0 };
        TensorAssert.Close(expected, logits.grad!.data<double>(), 1e-15, 1e-14, "gradient");
    }

    [Fact]
    public void Logprobs_of_bfloat16_logits_are_float32_and_match_the_float32_computation()
    {
        using var scope = NewDisposeScope();
        var logits = Randn(10, ScalarType.BFloat16, 2, 3, 50) * 4;
        var targets = tensor(new long[] { 1, 49, -100, 0, 20, 33 }, new long[] { 2, 3 });
        var lp = F.logprobs_of(logits, targets);
        Assert.Equal(ScalarType.Float32, lp.dtype);
        // Exactly the float32 log_softmax of the (bf16-valued) logits: no bf16 rounding of the result.
        TensorAssert.Close(Unfused.Logprobs(logits.to(float32), targets, -100), lp, 1e-5, 1e-5, "bf16 logits");
    }
}
