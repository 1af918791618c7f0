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
        var a = self_attn.forward(input_layernorm.forward(x), cos, sin, paddingMask, cache);
        if (attention_adapter is { } aa) a = aa.forward(a);
        var h = x.add(a);
        var m = mlp.forward(post_attention_layernorm.forward(h));
        if (output_adapter is { } oa) m = oa.forward(m);
        return h.add(m).MoveToOuterScope();
    }

    private Checkpointed? checkpointed;

    /// <summary><see cref="forward"/> (without a KV cache) with its activations recomputed in backward instead of kept
    /// (gradient checkpointing, see <see cref="Checkpointed"/>): only x, cos, sin and the mask are kept for backward,
    /// which reruns the layer (dropout with the same masks) and back-propagates through the rerun. The gradients are
    /// those of <see cref="forward"/>.</summary>
    public Tensor forward_checkpointed(Tensor x, Tensor cos, Tensor sin, Tensor? paddingMask)
    {
        checkpointed ??= new Checkpointed(xs => forward(xs[0], xs[1], xs[2], xs.Length > 3 ? xs[3] : null, null));
        Tensor[] inputs = paddingMask is null ? [x, cos, sin] : [x, cos, sin, paddingMask];
        return checkpointed.Apply(inputs, parameters().Where(p => p.requires_grad).ToArray());
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) checkpointed?.Dispose();
        checkpointed = null;
        base.Dispose(disposing);
    }
}
