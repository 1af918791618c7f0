namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// The hand-written backward passes of native/fused.cpp against float64 central finite differences of the fused
// forward itself. Tolerance everywhere: eps 1e-6, |backward − numeric| ≤ 1e-6 + 1e-5·|numeric|.
public class FusedGradientCheckTests
{
    private const double Eps = 1e-6, Atol = 1e-6, Rtol = 1e-5;

    private static Tensor Randn(ulong seed, params long[] shape)
    {
        using var gen = new Generator(seed);
        return randn(shape, float64, generator: gen);
    }

    private static void Check(Func<Tensor[], Tensor> op, Tensor[] inputs, params int[] wrt) =>
        GradientChecker.AssertGradientsMatch(GradientChecker.Projected(op, inputs), inputs, wrt, Eps, Atol, Rtol);

    [Fact]
    public void Rms_norm_gradients_for_x_and_weight()
    {
        using var scope = NewDisposeScope();
        var x = Randn(1, 2, 3, 6);
        var w = Randn(2, 6);
        Check(xs => F.rms_norm(xs[0], xs[1], 1e-5), new[] { x, w }, 0, 1);
    }

    [Fact]
    public void Rotary_gradient_for_x_with_per_sequence_tables()
    {
        using var scope = NewDisposeScope();
        var x = Randn(3, 2, 2, 3, 8);
        var (cos, sin) = F.rotary_cos_sin(tensor(new long[] { 0, 1, 2, 5, 6, 7 }, new long[] { 2, 3 }), 8, 100.0, float64);
        Check(xs => F.apply_rotary(xs[0], xs[1], xs[2]), new[] { x, cos, sin }, 0);
    }

    [Fact]
    public void Causal_attention_gradients_for_q_k_v_with_gqa_padding_and_cache()
    {
        using var scope = NewDisposeScope();
        // Hq = 4 over Hkv = 2, T = 3 queries after 2 cached keys (S = 5), sequence 1 left-padded by 2.
        var q = Randn(4, 2, 4, 3, 4);
        var k = Randn(5, 2, 2, 5, 4);
        var v = Randn(6, 2, 2, 5, 3);
        var pad = tensor(new[] { true, true, true, true, true, false, false, true, true, true }, new long[] { 2, 5 });
        Check(xs => F.causal_attention(xs[0], xs[1], xs[2], pad), new[] { q, k, v }, 0, 1, 2);
    }

    [Fact]
    public void Causal_attention_gradients_with_an_explicit_scale()
    {
        using var scope = NewDisposeScope();
        var q = Randn(7, 1, 2, 4, 4);
        var k = Randn(8, 1, 1, 4, 4);
        var v = Randn(9, 1, 1, 4, 4);
        Check(xs => F.causal_attention(xs[0], xs[1], xs[2], scale: 0.7), new[] { q, k, v }, 0, 1, 2);
    }

    [Fact]
    public void Swiglu_gradients_for_a_and_b()
    {
        using var scope = NewDisposeScope();
        var a = Randn(10, 3, 5) * 3;  // spread over silu's curved region
        var b = Randn(11, 3, 5);
        Check(xs => F.swiglu(xs[0], xs[1]), new[] { a, b }, 0, 1);
    }

    [Fact]
    public void Logprobs_gradient_for_logits_with_ignored_positions()
    {
        using var scope = NewDisposeScope();
        var logits = Randn(12, 2, 3, 7) * 2;
        var targets = tensor(new long[] { 4, -100, 0, 6, 2, -100 }, new long[] { 2, 3 });
        Check(xs => F.logprobs_of(xs[0], xs[1]), new[] { logits, targets }, 0);
    }
}
