using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Peft;

/// <summary>PEFT's PrefixEncoder: <c>embedding</c> (P, L·2·token_dim), or with prefix_projection <c>embedding</c>
/// (P, token_dim) through <c>transform</c> = Linear(token_dim, encoder_hidden_size) → tanh →
/// Linear(encoder_hidden_size, L·2·token_dim).</summary>
public sealed class PrefixEncoder : VirtualTokens
{
    internal PrefixEncoder(PromptLearningConfig config, Generator generator, Device? device) : base(config)
    {
        int p = config.NumVirtualTokens, d = config.TokenDim!.Value, h = config.EncoderHiddenSize!.Value, width = config.NumLayers!.Value * 2 * d;
        if (config.PrefixProjection)
        {
            register_module("embedding", new Embedding(p, d, device: device, generator: generator));
            register_module("transform", new Layers((0, new Linear(d, h, device: device, generator: generator)),
                                                    (2, new Linear(h, width, device: device, generator: generator))));
        }
        else
        {
            register_module("embedding", new Embedding(p, width, device: device, generator: generator));
        }
    }

    internal PrefixEncoder(PromptLearningConfig config, Tensor table) : base(config)
    {
        var e = new Embedding(table.size(0), table.size(1), device: table.device);
        using (no_grad()) e.weight.copy_(table);
        register_module("embedding", e);
    }

    public Parameter embedding => ((Embedding)get_submodule("embedding")).weight;

    public override Tensor encode()
    {
        var table = embedding;
        if (!config.PrefixProjection) return table.alias();
        using var scope = NewDisposeScope();
        var t = (Layers)get_submodule("transform");
        return t[2].forward(t[0].forward(table).tanh()).MoveToOuterScope();
    }
}
