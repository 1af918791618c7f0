namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// Bad shapes and dtypes throw TorchException naming the problem; the process and the next calls carry on.
public class FusedOpsErrorTests
{
    private static void Throws(Action call, params string[] fragments)
    {
        var e = Assert.Throws<TorchException>(call);
        foreach (var f in fragments) Assert.Contains(f, e.Message);
    }

    private static Tensor R(params long[] shape) => randn(shape, float64);

    [Fact]
    public void Attention_rejects_query_heads_that_are_not_a_multiple_of_kv_heads()
    {
        using var scope = NewDisposeScope();
        Throws(() => F.causal_attention(R(1, 3, 4, 8), R(1, 2, 4, 8), R(1, 2, 4, 8)), "Hq=3", "multiple", "Hkv=2");
        // The error was consumed: a valid call right after works.
        Assert.Equal(new long[] { 1, 4, 4, 8 }, F.causal_attention(R(1, 4, 4, 8), R(1, 2, 4, 8), R(1, 2, 4, 8)).shape);
    }

    [Fact]
    public void Attention_rejects_bad_shapes_masks_and_dtypes()
    {
        using var scope = NewDisposeScope();
        Throws(() => F.causal_attention(R(1, 2, 6, 8), R(1, 2, 4, 8), R(1, 2, 4, 8)), "T=6", "S=4");
        Throws(() => F.causal_attention(R(2, 2, 4), R(1, 2, 4, 8), R(1, 2, 4, 8)), "q must be (B, Hq, T, D)");
        Throws(() => F.causal_attention(R(1, 2, 4, 8), R(1, 2, 4, 6), R(1, 2, 4, 6)), "head dimension");
        Throws(() => F.causal_attention(R(1, 2, 4, 8), R(1, 2, 4, 8), R(1, 2, 5, 8)), "k shape", "v shape");
        Throws(() => F.causal_attention(R(2, 2, 4, 8), R(1, 2, 4, 8), R(1, 2, 4, 8)), "batch size");
        Throws(() => F.causal_attention(R(1, 2, 4, 8), R(1, 2, 4, 8), R(1, 2, 4, 8), ones(new long[] { 1, 3 }, int64)), "padding_mask", "[1, 4]");
        Throws(() => F.causal_attention(R(1, 2, 4, 8), R(1, 2, 4, 8), R(1, 2, 4, 8), ones(new long[] { 1, 4 })), "padding_mask", "bool or integer");
        Throws(() => F.causal_attention(R(1, 2, 4, 8), R(1, 2, 4, 8).to(float32), R(1, 2, 4, 8)), "one dtype");
    }

    [Fact]
    public void Logprobs_rejects_mismatched_targets()
    {
        using var scope = NewDisposeScope();
        Throws(() => F.logprobs_of(R(2, 4, 11), zeros(new long[] { 2, 5 }, int64)), "targets shape [2, 5]", "[2, 4]");
        Throws(() => F.logprobs_of(R(2, 4, 11), zeros(new long[] { 2, 4 }, int32)), "int64");
        Throws(() => F.logprobs_of(R(1, 2, 11), tensor(new long[] { 3, 11 }, new long[] { 1, 2 })), "outside [0, 11)");
        Throws(() => F.logprobs_of(R(1, 2, 11), tensor(new long[] { -1, 2 }, new long[] { 1, 2 })), "outside [0, 11)");
        Throws(() => F.logprobs_of(zeros(new long[] { 1, 2, 3 }, int64), zeros(new long[] { 1, 2 }, int64)), "logits", "floating-point");
    }

    [Fact]
    public void Rms_norm_rotary_and_swiglu_reject_bad_shapes()
    {
        using var scope = NewDisposeScope();
        Throws(() => F.rms_norm(R(2, 8), R(6)), "weight must have shape [8]", "[6]");
        Throws(() => F.rms_norm(R(2, 8), R(8), -1), "eps");
        Throws(() => F.apply_rotary(R(1, 2, 3, 7), R(3, 7), R(3, 7)), "even");
        Throws(() => F.apply_rotary(R(1, 2, 3, 8), R(4, 8), R(3, 8)), "cos shape [4, 8]");
        Throws(() => F.apply_rotary(R(2, 2, 3, 8), R(3, 8), R(3, 3, 8)), "sin", "(B, 1, T, D)");
        Throws(() => F.apply_rotary(R(2, 2, 3, 8), R(3, 1, 3, 8), R(3, 1, 3, 8)), "does not broadcast");
        Throws(() => F.swiglu(R(2, 8), R(2, 9)), "swiglu", "[2, 8]", "[2, 9]");
        Throws(() => F.rotary_cos_sin(arange(4), 7), "even");
        Throws(() => F.rotary_cos_sin(zeros(new long[] { 1, 2, 3 }, int64), 8), "positions");
    }
}
