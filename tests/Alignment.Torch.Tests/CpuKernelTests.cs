namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// The CPU kernels behind rms_norm, causal_attention and AdamW (native/cpu_kernels.cpp) at sizes where they split work
// across threads: against the unfused compositions (float32 atol/rtol 1e-5; float64 1e-12/1e-10), and bit-for-bit
// equal results on 1 and 2 threads (reductions run in a fixed order), which exact resume on another machine needs.
[Collection(SequentialCollection.Name)]
public class CpuKernelTests
{
    private static Tensor Randn(ulong seed, ScalarType dtype, params long[] shape)
    {
        using var gen = new Generator(seed);
        return randn(shape, float64, generator: gen).to(dtype);
    }

    private static T WithThreads<T>(int threads, Func<T> body)
    {
        int before = get_num_threads();
        set_num_threads(threads);
        try { return body(); }
        finally { set_num_threads(before); }
    }

    /// <summary>Output and gradients of f at xs (each grad of a scalar loss Σ y·r with fixed random r), as flat arrays.</summary>
    private static float[][] ValueAndGrads(Func<Tensor[], Tensor> f, Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        var xs = inputs.Select(x => x.detach().requires_grad_()).ToArray();
        var y = f(xs);
        var r = Randn(99, y.dtype, y.shape);
        (y * r).sum().backward();
        return new[] { y.contiguous().data<float>() }.Concat(xs.Select(x => x.grad!.contiguous().data<float>())).ToArray();
    }

    [Fact]
    public void Rms_norm_over_many_rows_matches_the_composition_and_is_identical_on_one_and_two_threads()
    {
        using var scope = NewDisposeScope();
        var x = Randn(1, float32, 4, 300, 96);   // 1200 rows: more rows than reduction chunks, several per thread
        var w = Randn(2, float32, 96);
        FusedVsReference.AssertSame(xs => F.rms_norm(xs[0], xs[1], 1e-6), xs => Unfused.RmsNorm(xs[0], xs[1], 1e-6),
                                    new[] { x, w }, new[] { 0, 1 }, 1e-5, 1e-5);
        var one = WithThreads(1, () => ValueAndGrads(xs => F.rms_norm(xs[0], xs[1], 1e-6), new[] { x, w }));
        var two = WithThreads(2, () => ValueAndGrads(xs => F.rms_norm(xs[0], xs[1], 1e-6), new[] { x, w }));
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
    }

    [Fact]
    public void Causal_attention_with_left_padding_matches_the_composition_and_is_identical_on_one_and_two_threads()
    {
        using var scope = NewDisposeScope();
        // B=3, Hq=4, Hkv=2, T=S=40, D=8; right padding of 0, 7 and 39 key positions (the last sequence has one real key).
        var q = Randn(3, float32, 3, 4, 40, 8);
        var k = Randn(4, float32, 3, 2, 40, 8);
        var v = Randn(5, float32, 3, 2, 40, 8);
        int[] real = { 40, 33, 1 };
        var pad = tensor(Enumerable.Range(0, 3 * 40).Select(i => i % 40 < real[i / 40]).ToArray(), new long[] { 3, 40 });
        FusedVsReference.AssertSame(xs => F.causal_attention(xs[0], xs[1], xs[2], pad), xs => Unfused.Attention(xs[0], xs[1], xs[2], pad),
                                    new[] { q, k, v }, new[] { 0, 1, 2 }, 1e-5, 1e-5);
        var one = WithThreads(1, () => ValueAndGrads(xs => F.causal_attention(xs[0], xs[1], xs[2], pad), new[] { q, k, v }));
        var two = WithThreads(2, () => ValueAndGrads(xs => F.causal_attention(xs[0], xs[1], xs[2], pad), new[] { q, k, v }));
        for (int i = 0; i < one.Length; i++) Assert.Equal(one[i], two[i]);
    }

    [Fact]
    public void Rotary_on_a_transposed_projection_with_per_sequence_positions_matches_the_composition()
    {
        using var scope = NewDisposeScope();
        // (B, T, H, D) transposed to (B, H, T, D), as the attention's projections give it; left-padded positions per row.
        var x = Randn(11, float32, 3, 20, 4, 16).transpose(1, 2);
        var positions = tensor(Enumerable.Range(0, 60).Select(i => (long)Math.Max(0, i % 20 - 3 * (i / 20))).ToArray(), new long[] { 3, 20 });
        var (cos, sin) = F.rotary_cos_sin(positions, 16, 10000.0, float32);   // (B, 1, T, D)
        FusedVsReference.AssertSame(xs => F.apply_rotary(xs[0], cos, sin), xs => Unfused.Rotary(xs[0], cos, sin),
                                    new[] { x }, new[] { 0 }, 1e-5, 1e-5);
    }

    [Fact]
    public void AdamW_on_a_large_float32_parameter_follows_the_update_rule_computed_in_doubles()
    {
        using var scope = NewDisposeScope();
        const int n = 100_000;   // several parallel chunks
        var p = new nn.Parameter(Randn(7, float32, n));
        var p0 = p.detach().to(float64).data<double>();
        var grads = new[] { Randn(8, float32, n), Randn(9, float32, n) };
        double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-8, wd = 0.1;
        using var opt = new optim.AdamW(new[] { p }, lr: lr, beta1: b1, beta2: b2, eps: eps, weight_decay: wd);
        var expected = p0.ToArray();
        var m = new double[n];
        var v = new double[n];
        for (int t = 1; t <= grads.Length; t++)
        {
            p.grad = grads[t - 1];
            opt.step();
            var g = grads[t - 1].to(float64).data<double>();
            for (int i = 0; i < n; i++)
            {
                expected[i] *= 1 - lr * wd;
                m[i] = b1 * m[i] + (1 - b1) * g[i];
                v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
                double mhat = m[i] / (1 - Math.Pow(b1, t)), vhat = v[i] / (1 - Math.Pow(b2, t));
                expected[i] -= lr * mhat / (Math.Sqrt(vhat) + eps);
            }
        }
        var actual = p.detach().to(float64).data<double>();
        for (int i = 0; i < n; i++)
            Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-6 + 1e-5 * Math.Abs(expected[i]),
                        $"element {i}: expected {expected[i]:R}, got {actual[i]:R}");
    }
}
