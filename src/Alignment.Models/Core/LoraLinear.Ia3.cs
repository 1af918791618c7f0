using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Core;

/// <summary>
/// IA3 on a linear layer, as PEFT's ia3.Linear: a learned vector <c>ia3_l</c> (state_dict key <c>…k_proj.ia3_l</c>, PEFT's
/// saved name) starting at ones. An attention layer (k_proj, v_proj) rescales its output, <c>y = (x·Wᵀ + b) · l</c> with
/// l (out, 1); a feed-forward layer (down_proj) rescales its input, <c>y = (x · l)·Wᵀ + b</c> with l (1, in).
/// </summary>
public sealed partial class LoraLinear
{
    /// <summary>The IA3 vector, or null.</summary>
    public Parameter? ia3_l => find_parameter("ia3_l");

    public bool has_ia3 => ia3_l is not null;

    /// <summary>True when the IA3 vector scales the input (feed-forward layers), false when it scales the output.</summary>
    public bool ia3_is_feedforward { get; private set; }

    /// <summary>Adds an IA3 vector of ones (PEFT's init_ia3_weights), float32 under a bf16/f16 base (the input or output
    /// is cast to it and the result cast back), the layer's dtype otherwise.</summary>
    public void add_ia3(bool feedforward)
    {
        if (has_ia3) throw new ModelException($"{name} already has an IA3 vector");
        if (has_lora) throw new ModelException($"{name} carries a LoRA adapter; LoRA and IA3 on one layer are not supported");
        var dtype = weight.dtype is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : weight.dtype;
        long[] shape = feedforward ? [1, in_features] : [out_features, 1];
        register_parameter("ia3_l", new Parameter(ones(shape, dtype, weight.device)));
        ia3_is_feedforward = feedforward;
    }

    /// <summary>Folds the vector into the weights (PEFT's IA3 merge: W·diag(l) for a feed-forward layer, diag(l)·W and
    /// b·l otherwise; computed in float32, cast to W's dtype) and removes it.</summary>
    public void merge_ia3()
    {
        if (ia3_l is not { } l) return;
        using (no_grad())
        using (NewDisposeScope())
        {
            var l32 = l.to(float32);
            weight.copy_(weight.to(float32).mul(l32).to(weight.dtype));                       // (out, in) · (out, 1) or (1, in)
            if (!ia3_is_feedforward && bias is { } b) b.copy_(b.to(float32).mul(l32.flatten()).to(b.dtype));
        }
        remove_ia3();
    }

    /// <summary>Drops the vector without merging it.</summary>
    public void remove_ia3()
    {
        if (!has_ia3) return;
        remove_parameter("ia3_l")?.Dispose();
    }

    private Tensor Ia3Forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var l = ia3_l!.flatten();
        if (ia3_is_feedforward)
        {
            var scaled = x.to(l.dtype).mul(l);
            return F.linear(scaled.dtype == x.dtype ? scaled : scaled.to(x.dtype), weight, bias).MoveToOuterScope();
        }
        var y = F.linear(x, weight, bias);
        var r = y.to(l.dtype).mul(l);
        return (r.dtype == y.dtype ? r : r.to(y.dtype)).MoveToOuterScope();
    }
}
