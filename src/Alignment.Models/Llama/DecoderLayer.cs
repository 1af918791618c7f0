using Alignment.Models.Core;
using Alignment.Models.Peft;
using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Llama;

/// <summary>One pre-norm decoder block: <c>h = x + self_attn(input_layernorm(x))</c>, then
/// <c>h + mlp(post_attention_layernorm(h))</c>.</summary>
public sealed class DecoderLayer : Module
{
    internal DecoderLayer(LlamaConfig config, int layerIndex, ScalarType dtype, Device? device)
    {
        register_module("self_attn", new Attention(config, layerIndex, dtype, device));
        register_module("mlp", new Mlp(config, dtype, device));
        register_module("input_layernorm", new RMSNorm(config.Hidden, config.Eps, dtype, device));
        register_module("post_attention_layernorm", new RMSNorm(config.Hidden, config.Eps, dtype, device));
    }

    public Attention self_attn => (Attention)get_submodule("self_attn");
    public Mlp mlp => (Mlp)get_submodule("mlp");
    public RMSNorm input_layernorm => (RMSNorm)get_submodule("input_layernorm");
    public RMSNorm post_attention_layernorm => (RMSNorm)get_submodule("post_attention_layernorm");

    /// <summary>Bottleneck adapter on the attention output (Houlsby), or null.</summary>
    public BottleneckAdapter? attention_adapter => named_children().FirstOrDefault(c => c.name == "attention_adapter").module as BottleneckAdapter;

    /// <summary>Bottleneck adapter on the feed-forward output (Houlsby and Pfeiffer), or null.</summary>
    public BottleneckAdapter? output_adapter => named_children().FirstOrDefault(c => c.name == "output_adapter").module as BottleneckAdapter;

    internal void attach_adapters(BottleneckAdapter? attention, BottleneckAdapter? output)
    {
        remove_module("attention_adapter")?.Dispose();
        remove_module("output_adapter")?.Dispose();
        if (attention is not null) register_module("attention_adapter", attention);
        if (output is not null) register_module("output_adapter", output);
    }

    /// <summary>x (B, T, hidden) → (B, T, hidden); see <see cref="Attention.forward"/> for the other arguments. Bottleneck
    /// adapters, when attached, act on the sublayer outputs before the residual additions.</summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? paddingMask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = AttentionBlock(x, cos, sin, paddingMask, cache, outputValueUnused: false);
        return MlpBlock(h, outputValueUnused: false).MoveToOuterScope();
    }

    // h = x + attention(norm(x)). outputValueUnused: only h's gradient path is read (a checkpointed rerun), so
    // o_proj may skip its base product, unless an adapter after it reads its values.
    private Tensor AttentionBlock(Tensor x, Tensor cos, Tensor sin, Tensor? paddingMask, KvCache? cache, bool outputValueUnused)
    {
        using var scope = NewDisposeScope();
        var aa = attention_adapter;
        var a = self_attn.forward(input_layernorm.forward(x), cos, sin, paddingMask, cache, outputValueUnused && aa is null);
        if (aa is not null) a = aa.forward(a);
        return x.add(a).MoveToOuterScope();
    }

    // h + mlp(norm(h)); outputValueUnused as for AttentionBlock (down_proj).
    private Tensor MlpBlock(Tensor h, bool outputValueUnused)
    {
        using var scope = NewDisposeScope();
        var oa = output_adapter;
        var m = mlp.forward(post_attention_layernorm.forward(h), outputValueUnused && oa is null);
        if (oa is not null) m = oa.forward(m);
        return h.add(m).MoveToOuterScope();
    }

    private Checkpointed? attentionCheckpoint, mlpCheckpoint;

    /// <summary><see cref="forward"/> (without a KV cache) with its activations recomputed in backward instead of kept
    /// (gradient checkpointing, see <see cref="Checkpointed"/>), as two checkpointed blocks: attention (x → h, keeping
    /// x, cos, sin and the mask) and feed-forward (h → output, keeping h). Backward reruns each block (dropout with the
    /// same masks, taken from the forward's tape) and back-propagates through the rerun. A rerun never reads its block's
    /// output values, only their gradient path, so the block's last projection (o_proj, down_proj) skips its
    /// base product there: about a third of the rerun's matmul work, for half a hidden vector per token kept (h).
    /// The gradients are those of <see cref="forward"/>.</summary>
    public Tensor forward_checkpointed(Tensor x, Tensor cos, Tensor sin, Tensor? paddingMask)
    {
        attentionCheckpoint ??= new Checkpointed(xs =>
            AttentionBlock(xs[0], xs[1], xs[2], xs.Length > 3 ? xs[3] : null, null, Checkpointed.Recomputing));
        mlpCheckpoint ??= new Checkpointed(xs => MlpBlock(xs[0], Checkpointed.Recomputing));
        using var scope = NewDisposeScope();
        Tensor[] inputs = paddingMask is null ? [x, cos, sin] : [x, cos, sin, paddingMask];
        var h = attentionCheckpoint.Apply(inputs, TrainableOf(self_attn, input_layernorm, attention_adapter));
        return mlpCheckpoint.Apply([h], TrainableOf(mlp, post_attention_layernorm, output_adapter)).MoveToOuterScope();
    }

    private static Tensor[] TrainableOf(params Module?[] modules) =>
        modules.Where(m => m is not null).SelectMany(m => m!.parameters()).Where(p => p.requires_grad).ToArray();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            attentionCheckpoint?.Dispose();
            mlpCheckpoint?.Dispose();
        }
        attentionCheckpoint = mlpCheckpoint = null;
        base.Dispose(disposing);
    }
}
