using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Models.Core;

/// <summary>
/// Symmetric integer quantization for quantization-aware training. Weights, per output channel (row):
/// <c>scale = max(max|w_row| / qmax, 1e-12)</c>, <c>q = clamp(round(w / scale), −qmax, qmax)</c> with qmax = 2^(bits−1) − 1
/// (127 for int8, 7 for int4; −128 / −8 are never used, so the grid is symmetric), and the fake-quantized weight is
/// <c>q · scale</c>, all in float32 (round half to even, torch.round). Activations (optional), per tensor, dynamic:
/// the same with one scale <c>max|x| / 127</c>. The straight-through estimator passes the gradient unchanged:
/// <c>ŵ = fq(w).detach() + (w − w.detach())</c>, whose value is exactly fq(w) and whose gradient is 1.
/// </summary>
public static class FakeQuant
{
    /// <summary>The largest integer of the symmetric grid: 127 for 8 bits, 7 for 4.</summary>
    public static int QMax(int bits) => bits switch
    {
        8 => 127,
        4 => 7,
        _ => throw new ModelException($"quantization bits must be 4 or 8, got {bits}"),
    };

    /// <summary>Integer values (int8, also for 4 bits) and float32 scales (out) of an (out, in) weight.</summary>
    public static (Tensor q, Tensor scale) QuantizeWeight(Tensor w, int bits)
    {
        int qmax = QMax(bits);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var w32 = w.dtype == ScalarType.Float32 ? w : w.to(float32);
        var scale = w32.abs().max(1).values.div(qmax).clamp_min(1e-12);   // (out)
        var q = w32.div(scale.unsqueeze(1)).round().clamp(-qmax, qmax);
        return (q.to(int8).MoveToOuterScope(), scale.MoveToOuterScope());
    }

    /// <summary>The weight an int export dequantizes to: <c>q · scale</c> (per row) in float32.</summary>
    public static Tensor Dequantize(Tensor q, Tensor scale) => q.to(float32).mul(scale.unsqueeze(1));

    /// <summary>fq(w) in w's dtype with the straight-through gradient.</summary>
    public static Tensor WeightSte(Tensor w, int bits)
    {
        using var scope = NewDisposeScope();
        var (q, scale) = QuantizeWeight(w, bits);
        var fq = Dequantize(q, scale);
        if (fq.dtype != w.dtype) fq = fq.to(w.dtype);
        return Ste(w, fq).MoveToOuterScope();
    }

    /// <summary>x fake-quantized to int8 with one dynamic scale, straight-through gradient.</summary>
    public static Tensor ActivationSte(Tensor x)
    {
        using var scope = NewDisposeScope();
        Tensor fq;
        using (no_grad())
        {
            var x32 = x.dtype == ScalarType.Float32 ? x : x.to(float32);
            var scale = x32.abs().max().div(127).clamp_min(1e-12);
            fq = x32.div(scale).round().clamp(-127, 127).mul(scale);
            if (fq.dtype != x.dtype) fq = fq.to(x.dtype);
        }
        return Ste(x, fq).MoveToOuterScope();
    }

    // Value fq exactly (w − w.detach() is exactly 0), gradient 1 with respect to w.
    private static Tensor Ste(Tensor w, Tensor fq) => w.requires_grad ? fq.detach().add(w.sub(w.detach())) : fq;
}
