using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Peft;

/// <summary>Submodules under the indices torch.nn.Sequential gives them (activations take an index but hold no
/// parameters), so parameter names read as PEFT's: <c>mlp_head.0.weight</c>, <c>mlp_head.2.weight</c>, ...</summary>
internal sealed class Layers : Module
{
    public Layers(params (int index, Module module)[] layers)
    {
        foreach (var (index, module) in layers) register_module(index.ToString(System.Globalization.CultureInfo.InvariantCulture), module);
    }

    public Linear this[int index] => (Linear)get_submodule(index.ToString(System.Globalization.CultureInfo.InvariantCulture));
}
