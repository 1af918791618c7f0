using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Peft;

/// <summary>PEFT's PromptEmbedding (prompt tuning): <c>embedding</c> (P, token_dim), N(0, 1) (RANDOM) or the word
/// embeddings of the init text (TEXT). Also the inference form of a loaded P-tuning adapter.</summary>
public sealed class PromptEmbedding : VirtualTokens
{
    internal PromptEmbedding(PromptLearningConfig config, Generator generator, Device? device, Tensor? init) : base(config)
    {
        var e = new Embedding(config.NumVirtualTokens, config.TokenDim!.Value, device: device, generator: generator);
        if (init is not null)
        {
            if (!init.shape.SequenceEqual(e.weight.shape))
                throw new ModelException($"prompt tuning init: [{string.Join(", ", init.shape)}] rows given, [{string.Join(", ", e.weight.shape)}] needed");
            using (no_grad()) e.weight.copy_(init);
        }
        register_module("embedding", e);
    }

    internal PromptEmbedding(PromptLearningConfig config, Tensor table) : this(config, null!, table.device, table) { }

    public Parameter embedding => ((Embedding)get_submodule("embedding")).weight;

    public override Tensor encode() => embedding.alias();
}
