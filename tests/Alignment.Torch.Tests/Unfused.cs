namespace Alignment.Torch.Tests;

/// <summary>
/// The fused ops written out from basic tensor ops, the way Hugging Face's eager Llama code writes them. Their
/// gradients come from libtorch's autograd through every basic op, so they are an independent reference for the
/// hand-written backward passes in native/fused.cpp.
/// </summary>
internal static class Unfused
{
    private static bool Reduced(ScalarType t) => t is ScalarType.Float16 or ScalarType.BFloat16;

    /// <summary>LlamaRMSNorm.forward: weight * (x.float() * rsqrt(x.float().pow(2).mean(-1) + eps)).to(x.dtype).</summary>
    public static Tensor RmsNorm(Tensor x, Tensor weight, double eps)
    {
        var h = Reduced(x.dtype) ? x.to(float32) : x;
        var variance = h.pow(2).mean(-1, keepdim: true);
        h = h * (variance + eps).rsqrt();
        return weight * h.to(x.dtype);
    }

    /// <summary>cat(-x[..., D/2:], x[..., :D/2]).</summary>
    public static Tensor RotateHalf(Tensor x)
    {
        long d = x.size(-1), h = d / 2;
        return cat(new[] { -x.slice(-1, h, d), x.slice(-1, 0, h) }, -1);
    }

    /// <summary>apply_rotary_pos_emb for one tensor: x * cos + rotate_half(x) * sin.</summary>
    public static Tensor Rotary(Tensor x, Tensor cos, Tensor sin) => x * cos.to(x.dtype) + RotateHalf(x) * sin.to(x.dtype);

    /// <summary>Eager attention: repeat_kv, q·kᵀ·scale, end-aligned causal and padding masks, softmax, ·v.
    /// The softmax is written out so that a query seeing no key gets all-zero weights (the fused op's contract;
    /// HF's additive finfo.min mask would give such a row uniform weights instead).</summary>
    public static Tensor Attention(Tensor q, Tensor k, Tensor v, Tensor? paddingMask = null, double? scale = null)
    {
        long hq = q.size(1), t = q.size(2), d = q.size(3), hkv = k.size(1), s = k.size(2);
        var kr = k.repeat_interleave(hq / hkv, 1);  // (B, Hq, S, D): query head h reads kv head h / (Hq/Hkv)
        var vr = v.repeat_interleave(hq / hkv, 1);
        var scores = q.matmul(kr.transpose(-2, -1)) * (scale ?? 1.0 / Math.Sqrt(d));  // (B, Hq, T, S)
        if (Reduced(scores.dtype)) scores = scores.to(float32);

        var queryPos = arange(s - t, s).unsqueeze(1);  // (T, 1) absolute positions of the queries
        var keyPos = arange(s).unsqueeze(0);           // (1, S)
        var allowed = keyPos <= queryPos;              // (T, S)
        if (paddingMask is not null)
            allowed = (allowed.unsqueeze(0) & paddingMask.ne(0).unsqueeze(1)).unsqueeze(1);  // (B, 1, T, S)

        var allowedF = allowed.to(scores.dtype);
        var m = scores.masked_fill(!allowed, -1e30);
        var e = (m - m.max(-1, keepdim: true).values).exp() * allowedF;
        var noKey = allowedF.sum(-1, keepdim: true).eq(0).to(scores.dtype);  // 1 for rows that see nothing
        var p = e / (e.sum(-1, keepdim: true) + noKey);
        return p.to(v.dtype).matmul(vr);
    }

    /// <summary>silu(a) * b written as a · sigmoid(a) · b.</summary>
    public static Tensor Swiglu(Tensor a, Tensor b) => a * a.sigmoid() * b;

    /// <summary>log_softmax(logits)[target], 0 where target == ignoreIndex (float32 for f16/bf16 logits).</summary>
    public static Tensor Logprobs(Tensor logits, Tensor targets, long ignoreIndex)
    {
        var logp = (Reduced(logits.dtype) ? logits.to(float32) : logits).log_softmax_last();
        var ignored = targets.eq(ignoreIndex);
        var picked = logp.gather(-1, targets.masked_fill(ignored, 0).unsqueeze(-1)).squeeze(-1);
        return picked.masked_fill(ignored, 0);
    }

    private static Tensor log_softmax_last(this Tensor x) => nn.functional.log_softmax(x, -1);
}

/// <summary>Runs a fused op and its unfused reference on the same inputs and compares values and gradients.</summary>
internal static class FusedVsReference
{
    /// <summary>Outputs must match, and so must the gradients of sum(out · w) (w fixed random) for inputs[wrt].</summary>
    public static void AssertSame(Func<Tensor[], Tensor> fused, Func<Tensor[], Tensor> reference, Tensor[] inputs, int[] wrt,
                                  double atol, double rtol, ulong seed = 7)
    {
        using var scope = NewDisposeScope();
        var (yf, gf) = Run(fused, inputs, wrt, seed);
        var (yr, gr) = Run(reference, inputs, wrt, seed);
        Assert.Equal(yr.dtype, yf.dtype);
        TensorAssert.Close(yr, yf, atol, rtol, "forward");
        for (int i = 0; i < wrt.Length; i++)
        {
            Assert.Equal(gr[i].dtype, gf[i].dtype);
            TensorAssert.Close(gr[i], gf[i], atol, rtol, $"gradient of input {wrt[i]}");
        }
    }

    private static (Tensor y, Tensor[] grads) Run(Func<Tensor[], Tensor> f, Tensor[] inputs, int[] wrt, ulong seed)
    {
        var args = (Tensor[])inputs.Clone();
        foreach (int i in wrt) args[i] = inputs[i].detach().clone().requires_grad_();
        var y = f(args);
        using var gen = new Generator(seed);
        var w = randn(y.shape, float64, generator: gen);
        (y.to(float64) * w).sum().backward();
        var grads = wrt.Select(i => args[i].grad ?? throw new Xunit.Sdk.XunitException($"input {i} got no gradient")).ToArray();
        return (y.detach(), grads);
    }
}
