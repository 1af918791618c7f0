namespace Alignment.Torch;

/// <summary>Element types. The values are libtorch's c10::ScalarType codes, which cross the native boundary as-is.</summary>
public enum ScalarType
{
    Byte = 0,
    Int8 = 1,
    Int16 = 2,
    Int32 = 3,
    Int64 = 4,
    Float16 = 5,
    Float32 = 6,
    Float64 = 7,
    Bool = 11,
    BFloat16 = 15,
}

public static class ScalarTypeExtensions
{
    /// <summary>Bytes per element.</summary>
    public static int ElementSize(this ScalarType t) => t switch
    {
        ScalarType.Byte or ScalarType.Int8 or ScalarType.Bool => 1,
        ScalarType.Int16 or ScalarType.Float16 or ScalarType.BFloat16 => 2,
        ScalarType.Int32 or ScalarType.Float32 => 4,
        ScalarType.Int64 or ScalarType.Float64 => 8,
        _ => throw new TorchException($"unsupported dtype {t}"),
    };

    public static bool IsFloatingPoint(this ScalarType t) =>
        t is ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Float32 or ScalarType.Float64;

    /// <summary>The dtype's PyTorch name (torch.float32 ...).</summary>
    public static string TorchName(this ScalarType t) => t switch
    {
        ScalarType.Byte => "uint8",
        ScalarType.Int8 => "int8",
        ScalarType.Int16 => "int16",
        ScalarType.Int32 => "int32",
        ScalarType.Int64 => "int64",
        ScalarType.Float16 => "float16",
        ScalarType.Float32 => "float32",
        ScalarType.Float64 => "float64",
        ScalarType.Bool => "bool",
        ScalarType.BFloat16 => "bfloat16",
        _ => t.ToString(),
    };

    /// <summary>Parses a dtype name as users write it in configs ("float32", "fp16", "bf16", "bfloat16", "int64" ...).</summary>
    public static ScalarType ParseDType(string name) => name.Trim().ToLowerInvariant() switch
    {
        "float32" or "fp32" or "float" or "f32" => ScalarType.Float32,
        "float16" or "fp16" or "half" or "f16" => ScalarType.Float16,
        "bfloat16" or "bf16" => ScalarType.BFloat16,
        "float64" or "fp64" or "double" or "f64" => ScalarType.Float64,
        "int64" or "long" or "i64" => ScalarType.Int64,
        "int32" or "int" or "i32" => ScalarType.Int32,
        "int16" or "i16" => ScalarType.Int16,
        "int8" or "i8" => ScalarType.Int8,
        "uint8" or "byte" or "u8" => ScalarType.Byte,
        "bool" => ScalarType.Bool,
        _ => throw new TorchException($"unknown dtype '{name}'; use one of float32, float16, bfloat16, float64, int64, int32, int16, int8, uint8, bool"),
    };
}
