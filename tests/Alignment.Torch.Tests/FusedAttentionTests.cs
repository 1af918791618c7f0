namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// causal_attention against the eager composition in Unfused.Attention (repeat_kv + masks + softmax), values and
// gradients for q, k, v. Tolerances: float64 atol 1e-12 / rtol 1e-10; float32 atol 1e-5 / rtol 1e-5.
public class FusedAttentionTests
{
    private const double Atol64 = 1e-12, Rtol64 = 1e-10, Tol32 = 1e-5;

    private static Tensor Randn(ulong seed, ScalarType dtype, params long[] shape)
    {
        using var gen = new Generator(seed);
        return randn(shape, float64, generator: gen).to(dtype);
    }

    private static Tensor[] Qkv(ScalarType dtype, long b, long hq, long hkv, long t, long s, long d, ulong seed = 1) =>
        new[] { Randn(seed, dtype, b, hq, t, d), Randn(seed + 1, dtype, b, hkv, s, d), Randn(seed + 2, dtype, b, hkv, s, d) };

    private static void AssertMatchesReference(Tensor[] qkv, Tensor? pad, double? scale, double atol, double rtol) =>
        FusedVsReference.AssertSame(xs => F.causal_attention(xs[0], xs[1], xs[2], pad, scale),
                                    xs => Unfused.Attention(xs[0], xs[1], xs[2], pad, scale),
                                    qkv, new[] { 0, 1, 2 }, atol, rtol);

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    public void Multi_head_attention_matches_the_eager_composition(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        AssertMatchesReference(Qkv(dtype, 2, 3, 3, 6, 6, 8), null, null, atol, rtol);
    }

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    public void Grouped_query_attention_hq4_hkv2_matches_repeat_kv(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        AssertMatchesReference(Qkv(dtype, 2, 4, 2, 5, 5, 8), null, null, atol, rtol);
        AssertMatchesReference(Qkv(dtype, 1, 6, 1, 4, 4, 4, seed: 9), null, null, atol, rtol);  // multi-query (Hkv = 1)
    }

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    public void Padding_mask_with_gqa_matches_and_hides_padded_keys(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        // Sequence 0 right-padded by 1, sequence 1 left-padded by 2.
        var pad = tensor(new[] { true, true, true, true, false, false, false, true, true, true }, new long[] { 2, 5 });
        var qkv = Qkv(dtype, 2, 4, 2, 5, 5, 8);
        AssertMatchesReference(qkv, pad, null, atol, rtol);

        // Changing a padded key or value changes nothing for the queries that can see real keys.
        var v2 = qkv[2].clone();
        v2.select(0, 0).select(1, 4).fill_(100);  // sequence 0, key 4 (padding)
        var o1 = F.causal_attention(qkv[0], qkv[1], qkv[2], pad);
        var o2 = F.causal_attention(qkv[0], qkv[1], v2, pad);
        TensorAssert.Close(o1, o2, 0, 0, "output with a changed padded value");
    }

    [Fact]
    public void Batches_too_big_for_one_score_chunk_are_processed_in_chunks_with_the_right_padding_rows()
    {
        // The CPU path holds at most 2^20 scores per chunk: Hq·T·S = 4·300·300 = 360,000 per sequence, so batch 5 runs as
        // chunks of 2, 2 and 1 sequences. Each sequence gets its own padding (left, none, right, left, right) so a chunk
        // that picked up the wrong mask rows or lse slice would differ from the reference. Float64, atol 1e-12 / rtol 1e-10.
        using var scope = NewDisposeScope();
        const int B = 5, S = 300;
        var rows = new bool[B * S];
        int[] start = { 7, 0, 0, 40, 0 }, end = { S, S, S - 25, S, S - 1 };
        for (int b = 0; b < B; b++)
            for (int j = start[b]; j < end[b]; j++) rows[b * S + j] = true;
        var pad = tensor(rows, new long[] { B, S });
        AssertMatchesReference(Qkv(float64, B, 4, 2, S, S, 8, seed: 21), pad, null, Atol64, Rtol64);
    }

    [Fact]
    public void A_query_that_sees_no_key_gets_zero_output_and_finite_zero_gradients()
    {
        using var scope = NewDisposeScope();
        // Left padding by 2: queries 0 and 1 of sequence 1 can only see padding keys.
        var pad = tensor(new long[] { 1, 1, 1, 1, 0, 0, 1, 1 }, new long[] { 2, 4 });
        var qkv = Qkv(float64, 2, 2, 1, 4, 4, 4);
        foreach (var t in qkv) t.requires_grad_();
        var o = F.causal_attention(qkv[0], qkv[1], qkv[2], pad);
        var masked = o.select(0, 1).slice(1, 0, 2);  // (H, 2, D)
        Assert.All(masked.contiguous().data<double>(), x => Assert.Equal(0.0, x));
        Assert.Contains(o.select(0, 1).slice(1, 2, 4).contiguous().data<double>(), x => x != 0);
        using (var gen = new Generator(3)) (o * randn(o.shape, float64, generator: gen)).sum().backward();
        foreach (var t in qkv) TensorAssert.AllFinite(t.grad!, "gradient");
        // The blind queries get no gradient; the padded keys/values of sequence 1 get none either.
        Assert.All(qkv[0].grad!.select(0, 1).slice(1, 0, 2).contiguous().data<double>(), x => Assert.Equal(0.0, x));
        Assert.All(qkv[1].grad!.select(0, 1).slice(1, 0, 2).contiguous().data<double>(), x => Assert.Equal(0.0, x));
        Assert.All(qkv[2].grad!.select(0, 1).slice(1, 0, 2).contiguous().data<double>(), x => Assert.Equal(0.0, x));
    }

    [Theory]
    [InlineData(ScalarType.Float64, Atol64, Rtol64)]
    [InlineData(ScalarType.Float32, Tol32, Tol32)]
    public void Fewer_queries_than_keys_is_the_kv_cache_case(ScalarType dtype, double atol, double rtol)
    {
        using var scope = NewDisposeScope();
        var pad = tensor(new[] { true, true, true, true, true, true, false, true, true, true, true, true }, new long[] { 2, 6 });
        AssertMatchesReference(Qkv(dtype, 2, 4, 2, 2, 6, 8), pad, null, atol, rtol);
        AssertMatchesReference(Qkv(dtype, 2, 4, 2, 1, 6, 8, seed: 4), null, null, atol, rtol);
    }

    [Fact]
    public void Decoding_the_last_tokens_with_a_cache_equals_the_last_rows_of_full_attention()
    {
        using var scope = NewDisposeScope();
        var (q, k, v) = (Randn(1, float64, 2, 4, 7, 8), Randn(2, float64, 2, 2, 7, 8), Randn(3, float64, 2, 2, 7, 8));
        var pad = tensor(new long[] { 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 7 });
        var full = F.causal_attention(q, k, v, pad);
        var lastTwo = F.causal_attention(q.slice(2, 5, 7), k, v, pad);  // T = 2 new queries over S = 7 cached keys
        TensorAssert.Close(full.slice(2, 5, 7), lastTwo, 1e-14, 1e-12, "cached decode");
    }

    [Fact]
    public void Explicit_scale_and_integer_padding_mask_match()
    {
        using var scope = NewDisposeScope();
        var qkv = Qkv(float64, 2, 4, 2, 4, 4, 8);
        var boolPad = tensor(new[] { true, true, true, false, false, true, true, true }, new long[] { 2, 4 });
        AssertMatchesReference(qkv, boolPad, 0.3, Atol64, Rtol64);
        var intPad = tensor(new long[] { 1, 1, 1, 0, 0, 1, 1, 1 }, new long[] { 2, 4 });
        TensorAssert.Close(F.causal_attention(qkv[0], qkv[1], qkv[2], boolPad, 0.3),
                           F.causal_attention(qkv[0], qkv[1], qkv[2], intPad, 0.3), 0, 0, "int64 mask vs bool mask");
        // The default scale is 1/sqrt(D).
        TensorAssert.Close(F.causal_attention(qkv[0], qkv[1], qkv[2], boolPad, 1 / Math.Sqrt(8)),
                           F.causal_attention(qkv[0], qkv[1], qkv[2], boolPad), 0, 0, "default scale");
    }

    [Fact]
    public void The_first_query_copies_the_first_value_and_the_graph_holds_one_attention_node()
    {
        using var scope = NewDisposeScope();
        var qkv = Qkv(float64, 1, 2, 2, 3, 3, 4);
        var q = qkv[0].requires_grad_();
        var o = F.causal_attention(q, qkv[1], qkv[2]);
        // Causality by hand: query 0 sees only key 0, so its output is exactly v[..., 0, :].
        TensorAssert.Close(qkv[2].select(2, 0), o.select(2, 0), 1e-15, 0, "first query");
        Assert.Contains("FusedCausalAttention", o.grad_fn_name);
    }

    [Fact]
    public void Bfloat16_attention_computes_the_softmax_in_float32_and_stays_close_to_float64()
    {
        using var scope = NewDisposeScope();
        var pad = tensor(new[] { true, true, true, true, true, true, false, true, true, true, true, true }, new long[] { 2, 6 });
        var qkv = Qkv(ScalarType.BFloat16, 2, 4, 2, 3, 6, 16);
        var o = F.causal_attention(qkv[0], qkv[1], qkv[2], pad);
        Assert.Equal(ScalarType.BFloat16, o.dtype);
        // Same bf16 inputs, exact float64 math: bf16 keeps 8 bits, so a few 2^-8 relative steps of error at most.
        var exact = Unfused.Attention(qkv[0].to(float64), qkv[1].to(float64), qkv[2].to(float64), pad);
        TensorAssert.Close(exact, o, 2e-2, 2e-2, "bf16 attention");
        FusedVsReference.AssertSame(xs => F.causal_attention(xs[0], xs[1], xs[2], pad), xs => Unfused.Attention(xs[0], xs[1], xs[2], pad),
                                    qkv, new[] { 0, 1, 2 }, atol: 3e-2, rtol: 3e-2);
    }
}
