using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Quantization;

/// <summary>
/// One linear layer's 8-bit weight in bitsandbytes' LLM.int8() layout (Int8Params, Linear8bitLt's state dict), as
/// transformers saves a <c>load_in_8bit</c> model:
/// <list type="bullet">
/// <item><c>weight</c>: int8 (out, in), row-major, <c>round(w · 127 / SCB[row])</c>;</item>
/// <item><c>SCB</c>: float32 (out), the absmax of each row;</item>
/// <item><c>weight_format</c>: a uint8 scalar, 0 = row-major (the only layout bitsandbytes still writes).</item>
/// </list>
/// The forward pass is bitsandbytes' CPU training path (MatMul8bitFp): the weight dequantized
/// (<c>q · SCB · 1/127</c>) and a float matmul, so LLM.int8()'s outlier decomposition (llm_int8_threshold, which
/// splits activation columns above the threshold into a float16 matmul on the GPU) is not done.
/// </summary>
public sealed class Quant8Weight : IQuantizedWeight
{
    private Quant8Weight(Tensor weight, Tensor scb)
    {
        Weight = weight.DetachFromDisposeScope();   // owned by the layer from now on
        Scb = scb.DetachFromDisposeScope();
        OutFeatures = weight.shape[0];
        InFeatures = weight.shape[1];
    }

    /// <summary>int8 (out, in).</summary>
    public Tensor Weight { get; }
    /// <summary>float32 (out): each row's absmax.</summary>
    public Tensor Scb { get; }
    public long OutFeatures { get; }
    public long InFeatures { get; }
    public string Kind => "int8 per row";
    public long Bytes => Weight.numel() + Scb.numel() * 4;

    /// <summary>The checkpoint keys an 8-bit layer occupies besides <c>weight</c>.</summary>
    public static readonly IReadOnlyList<string> Suffixes = ["SCB", "weight_format"];

    /// <summary>Quantizes an (out, in) float weight as bitsandbytes' Int8Params does on .cuda() (int8_vectorwise_quant).</summary>
    public static Quant8Weight Quantize(Tensor weight)
    {
        if (weight.dim() != 2) throw new ModelException($"8-bit quantization needs an (out, in) weight, got shape [{string.Join(", ", weight.shape)}]");
        var (q, scb) = F.quantize_int8_rowwise(weight);
        return new Quant8Weight(q, scb);
    }

    /// <summary>True when the checkpoint holds the layer 8-bit (an SCB tensor beside its weight).</summary>
    public static bool Stored(ShardedCheckpoint ckpt, string prefix) => ckpt.Contains(prefix + "SCB");

    /// <summary>Reads a layer saved by bitsandbytes (through transformers' save_pretrained) and checks it against the
    /// layer's (out, in) shape; errors name the file's tensor and what was expected.</summary>
    public static Quant8Weight Load(ShardedCheckpoint ckpt, string prefix, long outFeatures, long inFeatures)
    {
        string Where(string k) => $"{ckpt.Folder}: {prefix}{k}";
        void Check(string k, ScalarType dtype, long[] shape)
        {
            if (!ckpt.Contains(prefix + k)) throw new ModelException($"{Where(k)} is missing (a bitsandbytes 8-bit layer stores weight and SCB)");
            var info = ckpt.Info(prefix + k);
            if (info.DType != dtype || !info.Shape.SequenceEqual(shape))
                throw new ModelException($"{Where(k)} is {info.DType.TorchName()} [{string.Join(", ", info.Shape)}], expected " +
                                         $"{dtype.TorchName()} [{string.Join(", ", shape)}]");
        }
        Check("weight", ScalarType.Int8, [outFeatures, inFeatures]);
        Check("SCB", ScalarType.Float32, [outFeatures]);
        if (ckpt.Contains(prefix + "weight_format"))
        {
            using var f = ckpt.Load(prefix + "weight_format");
            if (f.numel() != 1 || f.dtype != ScalarType.Byte || f.reshape(1).data<byte>()[0] != 0)
                throw new ModelException($"{Where("weight_format")} is not the uint8 scalar 0 (row-major); the tiled GPU layouts " +
                                         "(col32, col_turing, col_ampere) of older bitsandbytes are not supported");
        }
        return new Quant8Weight(ckpt.Load(prefix + "weight").reshape(outFeatures, inFeatures), ckpt.Load(prefix + "SCB"));
    }

    public IEnumerable<KeyValuePair<string, Tensor>> StateDict(string prefix)
    {
        yield return new(prefix + "weight", Weight);
        yield return new(prefix + "SCB", Scb);
        yield return new(prefix + "weight_format", tensor(new byte[] { 0 }, Array.Empty<long>()));
    }

    public Tensor Linear(Tensor x, Tensor? bias, bool valueUnused = false, bool keepForRerun = false) =>
        F.linear_8bit(x, Weight, Scb, OutFeatures, InFeatures, bias, valueUnused, keepForRerun);

    public Tensor Dequantize(ScalarType dtype) => F.dequantize_int8_rowwise(Weight, Scb, dtype);

    public void Dispose()
    {
        Weight.Dispose();
        Scb.Dispose();
    }
}
