using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Peft;

/// <summary>PEFT's PromptEncoder (P-tuning): <c>embedding</c> (P, token_dim) through
/// MLP: <c>mlp_head</c> = Linear(d, h) → ReLU → Linear(h, h) → ReLU → Linear(h, d); or
/// LSTM: <c>lstm_head</c> (bidirectional, encoder_num_layers layers, hidden h, batch_first) then <c>mlp_head</c> =
/// Linear(2h, 2h) → ReLU → Linear(2h, d).</summary>
public sealed class PromptEncoder : VirtualTokens
{
    private readonly bool lstm;

    internal PromptEncoder(PromptLearningConfig config, Generator generator, Device? device) : base(config)
    {
        int p = config.NumVirtualTokens, d = config.TokenDim!.Value, h = config.EncoderHiddenSize!.Value;
        lstm = config.EncoderReparameterizationType == "LSTM";
        register_module("embedding", new Embedding(p, d, device: device, generator: generator));
        if (lstm)
        {
            register_module("lstm_head", new BidirectionalLstm(d, h, config.EncoderNumLayers, config.EncoderDropout, generator, device));
            register_module("mlp_head", new Layers((0, new Linear(2 * h, 2 * h, device: device, generator: generator)),
                                                   (2, new Linear(2 * h, d, device: device, generator: generator))));
        }
        else
        {
            register_module("mlp_head", new Layers((0, new Linear(d, h, device: device, generator: generator)),
                                                   (2, new Linear(h, h, device: device, generator: generator)),
                                                   (4, new Linear(h, d, device: device, generator: generator))));
        }
    }

    public Parameter embedding => ((Embedding)get_submodule("embedding")).weight;

    public override Tensor encode()
    {
        using var scope = NewDisposeScope();
        var mlp = (Layers)get_submodule("mlp_head");
        Tensor x = embedding;
        if (lstm)
        {
            x = ((BidirectionalLstm)get_submodule("lstm_head")).forward(x);           // (P, 2h)
            return mlp[2].forward(F.relu(mlp[0].forward(x))).MoveToOuterScope();
        }
        x = F.relu(mlp[0].forward(x));
        x = F.relu(mlp[2].forward(x));
        return mlp[4].forward(x).MoveToOuterScope();
    }
}
