using Alignment.Models.Core;
using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Llama;

/// <summary>
/// Causal self-attention with grouped-query heads: q/k/v projections (biases per model type), per-head q/k RMSNorm
/// (qwen3), rotary embedding, an optional KV cache, softmax(q·kᵀ/√D + mask)·v over the fused native kernel (query head
/// h reads kv head h / (Hq/Hkv)), and the output projection.
/// </summary>
public sealed class Attention : Module
{
    private readonly int layerIndex;
    private readonly int? slidingWindow;
    private readonly RMSNorm? qNorm, kNorm;

    internal Attention(LlamaConfig config, int layerIndex, ScalarType dtype, Device? device)
    {
        this.layerIndex = layerIndex;
        slidingWindow = config.SlidingWindowOf(layerIndex);
        num_heads = config.Heads;
        num_key_value_heads = config.KeyValueHeads;
        head_dim = config.HeadDim;
        long h = config.Hidden;
        register_module("q_proj", new LoraLinear(h, num_heads * head_dim, config.QkvBias, dtype, device));
        register_module("k_proj", new LoraLinear(h, num_key_value_heads * head_dim, config.QkvBias, dtype, device));
        register_module("v_proj", new LoraLinear(h, num_key_value_heads * head_dim, config.QkvBias, dtype, device));
        register_module("o_proj", new LoraLinear(num_heads * head_dim, h, config.OutputBias, dtype, device));
        // Under gradient checkpointing a quantized q/k/v product is kept for the rerun rather than dequantized and
        // multiplied again: together they are (Hq + 2·Hkv)·D values a token, a fifth of the layer's projection outputs
        // with grouped-query heads (hidden 1024, 16/8 heads, intermediate 2816: 2,048 of 9,728), for about a quarter of the
        // rerun's matmul work. The feed-forward's gate/up products, 2.75 times as big, are recomputed.
        q_proj.keep_base_for_rerun = k_proj.keep_base_for_rerun = v_proj.keep_base_for_rerun = true;
        if (config.QkNorm)
        {
            qNorm = new RMSNorm(head_dim, config.Eps, dtype, device);
            kNorm = new RMSNorm(head_dim, config.Eps, dtype, device);
            register_module("q_norm", qNorm);
            register_module("k_norm", kNorm);
        }
    }

    public int num_heads { get; }
    public int num_key_value_heads { get; }
    public int head_dim { get; }

    public LoraLinear q_proj => (LoraLinear)get_submodule("q_proj");
    public LoraLinear k_proj => (LoraLinear)get_submodule("k_proj");
    public LoraLinear v_proj => (LoraLinear)get_submodule("v_proj");
    public LoraLinear o_proj => (LoraLinear)get_submodule("o_proj");
    /// <summary>qwen3's per-head query RMSNorm over head_dim (null for the other model types).</summary>
    public RMSNorm? q_norm => qNorm;

    /// <summary>qwen3's per-head key RMSNorm over head_dim.</summary>
    public RMSNorm? k_norm => kNorm;

    /// <summary>x (B, T, hidden) → (B, T, hidden).</summary>
    /// <param name="x">Normalized hidden states of this step's T tokens.</param>
    /// <param name="cos">(B or 1, 1, T, D) rotary table for these tokens' positions.</param>
    /// <param name="sin">Same shape as cos.</param>
    /// <param name="paddingMask">(B, S) 1 = real token, 0 = padding, over cached + new positions; null = no padding.</param>
    /// <param name="cache">Keys/values of earlier positions, updated with these; null = no cache.</param>
    /// <param name="outputValueUnused">The caller reads only the gradient path of the result (a checkpointed block's
    /// rerun), so o_proj may skip its base product (<see cref="LoraLinear.forward(Tensor, bool)"/>).</param>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? paddingMask, KvCache? cache, bool outputValueUnused = false)
    {
        using var scope = NewDisposeScope();
        long b = x.size(0), t = x.size(1);
        var q = q_proj.forward(x).view(b, t, num_heads, head_dim);            // (B, T, Hq, D)
        var k = k_proj.forward(x).view(b, t, num_key_value_heads, head_dim);  // (B, T, Hkv, D)
        var v = v_proj.forward(x).view(b, t, num_key_value_heads, head_dim);  // (B, T, Hkv, D)
        if (q_norm is { } qn) q = qn.forward(q);
        if (k_norm is { } kn) k = kn.forward(k);
        q = F.apply_rotary(q.transpose(1, 2), cos, sin);                      // (B, Hq, T, D)
        k = F.apply_rotary(k.transpose(1, 2), cos, sin);                      // (B, Hkv, T, D)
        v = v.transpose(1, 2);                                                // (B, Hkv, T, D)
        if (cache is not null) (k, v) = cache.Update(layerIndex, k, v);      // (B, Hkv, S, D)
        long s = k.size(2);
        if (slidingWindow is int w && s > w)
            throw new ModelException($"layer {layerIndex}: {s} positions exceed the sliding window of {w} (config.json), and sliding-window " +
                                     $"attention is not implemented; keep sequences (prompt + generated) within {w} tokens");
        var o = F.causal_attention(q, k, v, paddingMask);                     // (B, Hq, T, D)
        o = o.transpose(1, 2).reshape(b, t, num_heads * head_dim);            // (B, T, Hq·D)
        return o_proj.forward(o, outputValueUnused).MoveToOuterScope();
    }
}
