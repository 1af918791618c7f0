using static Alignment.Torch.torch.nn;

namespace Alignment.Torch.Tests;

// Small modules shared by the nn and optim tests.

/// <summary>Linear(32→64) → silu → Linear(64→1): the MLP of the memory and resume tests.</summary>
internal sealed class Mlp : Module<Tensor, Tensor>
{
    public Mlp(Generator? generator = null, long inputs = 32, long hidden = 64)
    {
        register_module("fc1", new Linear(inputs, hidden, generator: generator));
        register_module("fc2", new Linear(hidden, 1, generator: generator));
    }

    public Linear fc1 => (Linear)get_submodule("fc1");
    public Linear fc2 => (Linear)get_submodule("fc2");

    public override Tensor forward(Tensor x) => fc2.forward(fc1.forward(x).silu());
}

/// <summary>A pre-norm residual block: x + down(silu(up(norm(x)))), with dropout.</summary>
internal sealed class Block : Module<Tensor, Tensor>
{
    public Block(long dim, Generator generator)
    {
        register_module("norm", new RMSNorm(dim));
        register_module("up_proj", new Linear(dim, 2 * dim, bias: false, generator: generator));
        register_module("down_proj", new Linear(2 * dim, dim, generator: generator));
        register_module("dropout", new Dropout(0.1));
    }

    public override Tensor forward(Tensor x)
    {
        var norm = (RMSNorm)get_submodule("norm");
        var up = (Linear)get_submodule("up_proj");
        var down = (Linear)get_submodule("down_proj");
        var dropout = (Dropout)get_submodule("dropout");
        return x + dropout.forward(down.forward(up.forward(norm.forward(x)).silu()));
    }
}

/// <summary>Token embedding → blocks → final norm → scalar head: the shape of a tiny reward model, named as HF models are
/// (model.embed_tokens, model.layers.N, model.norm, score).</summary>
internal sealed class TinyScorer : Module<Tensor, Tensor>
{
    public TinyScorer(long vocab, long dim, int layers, Generator generator)
    {
        var inner = new Inner(vocab, dim, layers, generator);
        register_module("model", inner);
        register_module("score", new Linear(dim, 1, bias: false, generator: generator));
    }

    public Inner model => (Inner)get_submodule("model");

    /// <summary>(B, T) token ids → (B) scores from the last position.</summary>
    public override Tensor forward(Tensor ids)
    {
        var h = model.forward(ids);                                  // (B, T, D)
        var last = h.select(1, h.size(1) - 1);                       // (B, D)
        return ((Linear)get_submodule("score")).forward(last).squeeze(-1);   // (B)
    }

    internal sealed class Inner : Module<Tensor, Tensor>
    {
        public Inner(long vocab, long dim, int layers, Generator generator)
        {
            register_module("embed_tokens", new Embedding(vocab, dim, padding_idx: 0, generator: generator));
            register_module("layers", new ModuleList<Block>(Enumerable.Range(0, layers).Select(_ => new Block(dim, generator))));
            register_module("norm", new RMSNorm(dim));
        }

        public ModuleList<Block> layers => (ModuleList<Block>)get_submodule("layers");

        public override Tensor forward(Tensor ids)
        {
            var h = ((Embedding)get_submodule("embed_tokens")).forward(ids);
            foreach (var layer in layers) h = layer.forward(h);
            return ((RMSNorm)get_submodule("norm")).forward(h);
        }
    }
}

/// <summary>Tests that measure process-wide counters (live tensors, resident memory) run alone.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SequentialCollection
{
    public const string Name = "sequential (process-wide counters)";
}
