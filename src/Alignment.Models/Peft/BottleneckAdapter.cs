using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Peft;

/// <summary>
/// One bottleneck adapter (Houlsby et al. 2019): <c>o + adapter_up(act(adapter_down(o)))</c> on a sublayer's output o,
/// with adapter_down Linear(hidden, hidden / reduction_factor) and adapter_up Linear(hidden / reduction_factor, hidden).
/// adapter_down starts as PyTorch's Linear (U(±1/√in)), adapter_up at zero, so a new adapter is the identity and the
/// adapted model starts as the base model. Parameters are float32 under a bf16/f16 base (input cast to it, output back).
/// </summary>
public sealed class BottleneckAdapter : Module<Tensor, Tensor>
{
    public BottleneckAdapter(int hidden, int bottleneck, string nonLinearity, Generator generator, Device? device)
    {
        non_linearity = nonLinearity;
        register_module("adapter_down", new Linear(hidden, bottleneck, device: device, generator: generator));
        var up = new Linear(bottleneck, hidden, device: device, generator: generator);
        using (no_grad())
        {
            up.weight.zero_();
            up.bias!.zero_();
        }
        register_module("adapter_up", up);
    }

    /// <summary>relu, swish (x·σ(x)), gelu or tanh.</summary>
    public string non_linearity { get; }

    public Linear adapter_down => (Linear)get_submodule("adapter_down");
    public Linear adapter_up => (Linear)get_submodule("adapter_up");

    public override Tensor forward(Tensor o)
    {
        using var scope = NewDisposeScope();
        var x = o.dtype == adapter_down.weight.dtype ? o : o.to(adapter_down.weight.dtype);
        var h = adapter_down.forward(x);
        h = non_linearity switch
        {
            "relu" => h.relu(),
            "swish" => h.silu(),
            "gelu" => F.gelu(h),
            "tanh" => h.tanh(),
            _ => throw new ModelException($"non_linearity '{non_linearity}' is not relu, swish, gelu or tanh"),
        };
        var delta = adapter_up.forward(h);
        return o.add(delta.dtype == o.dtype ? delta : delta.to(o.dtype)).MoveToOuterScope();
    }
}
