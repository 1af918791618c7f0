using Alignment.Models.Core;
using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Llama;

/// <summary>The SwiGLU feed-forward block: <c>down_proj(silu(gate_proj(x)) · up_proj(x))</c>.</summary>
public sealed class Mlp : Module<Tensor, Tensor>
{
    internal Mlp(LlamaConfig config, ScalarType dtype, Device? device)
    {
        bool bias = config.MlpHasBias;
        register_module("gate_proj", new LoraLinear(config.Hidden, config.Intermediate, bias, dtype, device));
        register_module("up_proj", new LoraLinear(config.Hidden, config.Intermediate, bias, dtype, device));
        register_module("down_proj", new LoraLinear(config.Intermediate, config.Hidden, bias, dtype, device));
    }

    public LoraLinear gate_proj => (LoraLinear)get_submodule("gate_proj");
    public LoraLinear up_proj => (LoraLinear)get_submodule("up_proj");
    public LoraLinear down_proj => (LoraLinear)get_submodule("down_proj");

    /// <summary>x (B, T, hidden) → (B, T, hidden).</summary>
    public override Tensor forward(Tensor x) => forward(x, outputValueUnused: false);

    /// <summary><see cref="forward(Tensor)"/>; with <paramref name="outputValueUnused"/> (a checkpointed block's rerun,
    /// which reads only the gradient path of the result) down_proj may skip its base product
    /// (<see cref="LoraLinear.forward(Tensor, bool)"/>).</summary>
    public Tensor forward(Tensor x, bool outputValueUnused)
    {
        using var scope = NewDisposeScope();
        var h = F.swiglu(gate_proj.forward(x), up_proj.forward(x));  // (B, T, intermediate)
        return down_proj.forward(h, outputValueUnused).MoveToOuterScope();
    }
}
