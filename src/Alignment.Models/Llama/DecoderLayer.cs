using Alignment.Models.Core;
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

    /// <summary>x (B, T, hidden) → (B, T, hidden); see <see cref="Attention.forward"/> for the other arguments.</summary>
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor? paddingMask, KvCache? cache)
    {
        using var scope = NewDisposeScope();
        var h = x.add(self_attn.forward(input_layernorm.forward(x), cos, sin, paddingMask, cache));
        return h.add(mlp.forward(post_attention_layernorm.forward(h))).MoveToOuterScope();
    }
}
