using Alignment.Torch;

namespace Alignment.Models.Quantization;

/// <summary>A linear layer's frozen base weight held quantized (<see cref="Quant4Weight"/>: bitsandbytes NF4/FP4;
/// <see cref="Quant8Weight"/>: bitsandbytes int8 per row). The layer computes through <see cref="Linear"/>, which
/// dequantizes a band of rows at a time and saves only the quantized form for backward.</summary>
public interface IQuantizedWeight : IDisposable
{
    long OutFeatures { get; }
    long InFeatures { get; }

    /// <summary>What it is, for messages ("4-bit nf4", "int8 per row").</summary>
    string Kind { get; }

    /// <summary>Bytes held.</summary>
    long Bytes { get; }

    /// <summary><c>x·Wᵀ + b</c> with W frozen; x in the compute dtype. <paramref name="valueUnused"/>: the caller reads
    /// only the gradient path of the result, not its values (zeros then); <paramref name="keepForRerun"/>: inside a
    /// checkpointed body, the product is kept for backward's rerun instead of computed again (see
    /// <c>functional.linear_4bit</c>).</summary>
    Tensor Linear(Tensor x, Tensor? bias, bool valueUnused = false, bool keepForRerun = false);

    /// <summary>The float (out, in) weight the layer computes with.</summary>
    Tensor Dequantize(ScalarType dtype);

    /// <summary>The tensors to save under the layer's prefix, named as transformers names them.</summary>
    IEnumerable<KeyValuePair<string, Tensor>> StateDict(string prefix);
}
