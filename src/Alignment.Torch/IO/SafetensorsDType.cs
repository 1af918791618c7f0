namespace Alignment.Torch.IO;

/// <summary>The dtype strings of the safetensors format and their torch equivalents.</summary>
public static class SafetensorsDType
{
    public static string ToCode(ScalarType t) => t switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => throw new TorchException($"dtype {t} cannot be stored in safetensors"),
    };

    public static bool TryParse(string code, out ScalarType t)
    {
        switch (code)
        {
            case "F64": t = ScalarType.Float64; return true;
            case "F32": t = ScalarType.Float32; return true;
            case "F16": t = ScalarType.Float16; return true;
            case "BF16": t = ScalarType.BFloat16; return true;
            case "I64": t = ScalarType.Int64; return true;
            case "I32": t = ScalarType.Int32; return true;
            case "I16": t = ScalarType.Int16; return true;
            case "I8": t = ScalarType.Int8; return true;
            case "U8": t = ScalarType.Byte; return true;
            case "BOOL": t = ScalarType.Bool; return true;
            default: t = default; return false;
        }
    }
}
