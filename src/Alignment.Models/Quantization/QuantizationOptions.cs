using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Torch;

namespace Alignment.Models.Quantization;

/// <summary>
/// Quantized base weights as bitsandbytes stores them. 4 bits (transformers' <c>BitsAndBytesConfig(load_in_4bit=True, ...)</c>):
/// NF4 or FP4 codes in blocks of <see cref="Blocksize"/> values with a float32 absmax per block; with
/// <see cref="DoubleQuant"/> the absmax values, minus their mean, are themselves quantized to 8 bits in blocks of 256
/// (bitsandbytes' compress_statistics). The decoder layers' linear projections are quantized; embeddings, norms and
/// lm_head stay in the compute dtype (transformers keeps the output layer unquantized too). 8 bits
/// (<c>load_in_8bit</c>): int8 per output row with its absmax (<see cref="Quant8Weight"/>); the other fields do not apply.
/// </summary>
public sealed record QuantizationOptions
{
    public const long NestedBlocksize = 256;

    /// <summary>Bits per weight: 4 (NF4/FP4) or 8 (int8 per row, LLM.int8()'s weight format).</summary>
    public int Bits { get; init; } = 4;

    /// <summary>nf4 (normal float, QLoRA's default) or fp4.</summary>
    public string QuantType { get; init; } = "nf4";

    /// <summary>Quantize the absmax values too (8-bit, blocks of 256).</summary>
    public bool DoubleQuant { get; init; } = true;

    /// <summary>Values per absmax block (bitsandbytes' default 64).</summary>
    public long Blocksize { get; init; } = 64;

    /// <summary>Throws <see cref="ModelException"/> naming <paramref name="where"/> for a value bitsandbytes does not have.</summary>
    public void Validate(string where)
    {
        if (Bits is not (4 or 8))
            throw new ModelException($"{where}: quantization bits {Bits} is not supported; use 4 (NF4/FP4 base weights) or 8 (int8 per row)");
        if (Bits == 8) return;
        if (QuantType is not ("nf4" or "fp4"))
            throw new ModelException($"{where}: quantization type '{QuantType}' is not supported; use nf4 or fp4");
        if (Blocksize is < 64 or > 4096 || (Blocksize & (Blocksize - 1)) != 0)
            throw new ModelException($"{where}: quantization blocksize {Blocksize} must be a power of two from 64 to 4096");
    }

    /// <summary>Reads config.json's quantization_config, which must be transformers' bitsandbytes 4-bit or 8-bit one.</summary>
    public static QuantizationOptions FromHfConfig(JsonElement config, string where)
    {
        string Str(string key) => config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        bool Bool(string key) => config.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.True;
        if (config.ValueKind != JsonValueKind.Object)
            throw new ModelException($"{where}: quantization_config must be an object");
        string method = Str("quant_method");
        if (method != "bitsandbytes")
            throw new ModelException($"{where}: quantization_config.quant_method '{method}' is not supported; only bitsandbytes 4-bit " +
                                     "and 8-bit checkpoints load (use the float export otherwise)");
        if (Bool("load_in_8bit") && !Bool("load_in_4bit"))
        {
            if (Bool("llm_int8_has_fp16_weight"))
                throw new ModelException($"{where}: quantization_config.llm_int8_has_fp16_weight true keeps float weights; only int8 weights " +
                                         "(has_fp16_weight false, the default) are supported");
            return new QuantizationOptions { Bits = 8 };
        }
        if (!Bool("load_in_4bit"))
            throw new ModelException($"{where}: quantization_config sets neither load_in_4bit nor load_in_8bit");
        string storage = Str("bnb_4bit_quant_storage");
        if (storage is not ("" or "uint8"))
            throw new ModelException($"{where}: quantization_config.bnb_4bit_quant_storage '{storage}' is not supported; only uint8");
        var options = new QuantizationOptions
        {
            QuantType = Str("bnb_4bit_quant_type") is { Length: > 0 } t ? t : "fp4",   // BitsAndBytesConfig's default
            DoubleQuant = Bool("bnb_4bit_use_double_quant"),
        };
        options.Validate($"{where}: quantization_config");
        return options;
    }

    /// <summary>quantization_config as transformers' BitsAndBytesConfig.to_dict() writes it (keys sorted). An 8-bit
    /// model writes llm_int8_threshold 0: its forward pass does no outlier decomposition.</summary>
    public JsonObject ToHfConfig(ScalarType computeDtype) => new()
    {
        ["_load_in_4bit"] = Bits == 4,
        ["_load_in_8bit"] = Bits == 8,
        ["bnb_4bit_compute_dtype"] = computeDtype.TorchName(),
        ["bnb_4bit_quant_storage"] = "uint8",
        ["bnb_4bit_quant_type"] = QuantType,
        ["bnb_4bit_use_double_quant"] = DoubleQuant,
        ["llm_int8_enable_fp32_cpu_offload"] = false,
        ["llm_int8_has_fp16_weight"] = false,
        ["llm_int8_skip_modules"] = null,
        ["llm_int8_threshold"] = Bits == 8 ? 0.0 : 6.0,
        ["load_in_4bit"] = Bits == 4,
        ["load_in_8bit"] = Bits == 8,
        ["quant_method"] = "bitsandbytes",
    };
}
