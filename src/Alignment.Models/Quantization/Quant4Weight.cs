using System.Globalization;
using System.Text;
using System.Text.Json;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Quantization;

/// <summary>
/// One linear layer's 4-bit weight in bitsandbytes' layout (Params4bit + QuantState), as transformers saves it under
/// the layer's <c>weight</c> key:
/// <list type="bullet">
/// <item><c>weight</c>: uint8 ((out·in + 1) / 2, 1), two codes per byte, the first value in the high nibble;</item>
/// <item><c>weight.absmax</c>: float32 per block of blocksize values, or, double-quantized, uint8 codes of (absmax −
/// nested_offset) in the 8-bit dynamic map;</item>
/// <item><c>weight.quant_map</c>: the 16 float32 code values;</item>
/// <item><c>weight.nested_absmax</c> (float32 per 256 absmax values) and <c>weight.nested_quant_map</c> (256 float32,
/// the dynamic map), double quantization only;</item>
/// <item><c>weight.quant_state.bitsandbytes__nf4</c> (or <c>__fp4</c>): uint8 bytes of the JSON
/// {"quant_type", "blocksize", "dtype", "shape"[, "nested_blocksize", "nested_dtype", "nested_offset"]}.</item>
/// </list>
/// The forward pass uses the float32 absmax (the nested values dequantized once, plus the offset, as bitsandbytes'
/// dequantize_4bit computes it); the stored tensors are kept as read so saving writes them back byte for byte.
/// </summary>
public sealed class Quant4Weight : IQuantizedWeight
{
    private Quant4Weight(Tensor packed, Tensor storedAbsmax, Tensor code, Tensor? nestedAbsmax, Tensor? nestedCode, byte[] quantState,
                         string quantType, long blocksize, long outFeatures, long inFeatures, Tensor absmax)
    {
        Packed = packed;
        StoredAbsmax = storedAbsmax;
        Code = code;
        NestedAbsmax = nestedAbsmax;
        NestedCode = nestedCode;
        QuantState = quantState;
        QuantType = quantType;
        Blocksize = blocksize;
        OutFeatures = outFeatures;
        InFeatures = inFeatures;
        Absmax = absmax;
    }

    public Tensor Packed { get; }
    /// <summary>The absmax as stored: float32, or uint8 when double-quantized.</summary>
    public Tensor StoredAbsmax { get; }
    /// <summary>float32 absmax per block, what the kernel multiplies by.</summary>
    public Tensor Absmax { get; }
    public Tensor Code { get; }
    public Tensor? NestedAbsmax { get; }
    public Tensor? NestedCode { get; }
    /// <summary>The quant_state JSON bytes.</summary>
    public byte[] QuantState { get; }
    public string QuantType { get; }
    public long Blocksize { get; }
    public long OutFeatures { get; }
    public long InFeatures { get; }
    public bool DoubleQuant => NestedAbsmax is not null;

    /// <summary>Bytes held (packed codes and every absmax form).</summary>
    public long Bytes => new[] { Packed, StoredAbsmax, Absmax, Code, NestedAbsmax, NestedCode }
        .Sum(t => t is null ? 0 : t.numel() * t.dtype.ElementSize());

    /// <summary>Quantizes an (out, in) float weight as bitsandbytes' Params4bit does on .cuda()/.to(): quantize_4bit,
    /// then with double quantization offset = mean(absmax) and quantize_blockwise(absmax − offset, blocksize 256).</summary>
    /// <param name="weight">The float weight (any float dtype; its dtype is recorded as the quant state's "dtype").</param>
    public static Quant4Weight Quantize(Tensor weight, QuantizationOptions options)
    {
        if (weight.dim() != 2) throw new ModelException($"4-bit quantization needs an (out, in) weight, got shape [{string.Join(", ", weight.shape)}]");
        options.Validate("quantization");
        using var scope = NewDisposeScope();
        long o = weight.shape[0], i = weight.shape[1];
        var (packed, absmax) = F.quantize_4bit(weight, options.QuantType, options.Blocksize);
        var code = F.quant_code(options.QuantType);
        var state = new List<(string, object)>
        {
            ("quant_type", options.QuantType), ("blocksize", options.Blocksize), ("dtype", weight.dtype.TorchName()), ("shape", new[] { o, i }),
        };
        Tensor stored = absmax, kernelAbsmax = absmax;
        Tensor? nestedAbsmax = null, nestedCode = null;
        if (options.DoubleQuant)
        {
            float offset = absmax.mean().ToSingle();
            var dyn = F.quant_code("dynamic");
            var (q, nabs) = F.quantize_blockwise(absmax.sub(offset), dyn, QuantizationOptions.NestedBlocksize);
            stored = q;
            nestedAbsmax = nabs;
            nestedCode = dyn;
            kernelAbsmax = F.dequantize_blockwise(q, nabs, dyn, QuantizationOptions.NestedBlocksize).add(offset);
            state.Add(("nested_blocksize", QuantizationOptions.NestedBlocksize));
            state.Add(("nested_dtype", "float32"));
            state.Add(("nested_offset", (double)offset));
        }
        var result = new Quant4Weight(packed, stored, code, nestedAbsmax, nestedCode, Encoding.UTF8.GetBytes(PythonJson(state)),
                                      options.QuantType, options.Blocksize, o, i, kernelAbsmax);
        foreach (var t in result.Tensors()) t.DetachFromDisposeScope();   // owned by the layer from now on
        return result;
    }

    /// <summary>The key of the quant_state tensor for a layer prefix ("model.layers.0.self_attn.q_proj."), or null when
    /// the checkpoint does not hold that layer 4-bit.</summary>
    public static string? StateKey(ShardedCheckpoint ckpt, string prefix) =>
        new[] { "nf4", "fp4" }.Select(t => $"{prefix}weight.quant_state.bitsandbytes__{t}").FirstOrDefault(ckpt.Contains);

    /// <summary>The checkpoint keys a 4-bit layer occupies besides <c>weight</c>.</summary>
    public static readonly IReadOnlyList<string> Suffixes =
        ["weight.absmax", "weight.quant_map", "weight.nested_absmax", "weight.nested_quant_map", "weight.quant_state.bitsandbytes__nf4",
         "weight.quant_state.bitsandbytes__fp4"];

    /// <summary>Reads a layer saved by bitsandbytes (through transformers' save_pretrained) and checks it against the
    /// layer's (out, in) shape; errors name the file's tensor and what was expected.</summary>
    public static Quant4Weight Load(ShardedCheckpoint ckpt, string prefix, long outFeatures, long inFeatures)
    {
        string stateKey = StateKey(ckpt, prefix) ?? throw new ModelException($"{ckpt.Folder}: {prefix}weight is not stored 4-bit (no quant_state tensor)");
        using var scope = NewDisposeScope();
        string Where(string k) => $"{ckpt.Folder}: {prefix}{k}";
        Tensor Need(string k, ScalarType dtype, long? numel)
        {
            string key = prefix + k;
            if (!ckpt.Contains(key)) throw new ModelException($"{Where(k)} is missing (a bitsandbytes 4-bit layer stores it beside its quant_state)");
            var info = ckpt.Info(key);
            if (info.DType != dtype) throw new ModelException($"{Where(k)} is {info.DType.TorchName()}, expected {dtype.TorchName()}");
            long n = info.Shape.Aggregate(1L, (a, b) => a * b);
            if (numel is long want && n != want) throw new ModelException($"{Where(k)} has {n} values, expected {want}");
            return ckpt.Load(key);
        }
        using var stateTensor = ckpt.Load(stateKey);
        var bytes = stateTensor.contiguous().data<byte>().ToArray();
        JsonElement state;
        try { state = JsonDocument.Parse(bytes).RootElement.Clone(); }
        catch (JsonException e) { throw new ModelException($"{Where(stateKey[prefix.Length..])} is not the JSON bitsandbytes writes: {e.Message}"); }
        string quantType = stateKey.EndsWith("nf4", StringComparison.Ordinal) ? "nf4" : "fp4";
        long blocksize = Long(state, "blocksize", Where(stateKey[prefix.Length..]));
        var shape = state.TryGetProperty("shape", out var s) && s.ValueKind == JsonValueKind.Array ? s.EnumerateArray().Select(x => x.GetInt64()).ToArray() : [];
        if (!shape.SequenceEqual(new[] { outFeatures, inFeatures }))
            throw new ModelException($"{Where(stateKey[prefix.Length..])}: shape [{string.Join(", ", shape)}], config.json implies [{outFeatures}, {inFeatures}]");
        new QuantizationOptions { QuantType = quantType, Blocksize = blocksize }.Validate(Where(stateKey[prefix.Length..]));
        long n = outFeatures * inFeatures, blocks = (n + blocksize - 1) / blocksize;
        var packed = Need("weight", ScalarType.Byte, (n + 1) / 2).reshape((n + 1) / 2, 1);
        var code = Need("weight.quant_map", ScalarType.Float32, 16);
        Tensor stored, absmax;
        Tensor? nestedAbsmax = null, nestedCode = null;
        if (state.TryGetProperty("nested_blocksize", out _))
        {
            long nb = Long(state, "nested_blocksize", Where(stateKey[prefix.Length..]));
            double offset = state.TryGetProperty("nested_offset", out var off) && off.ValueKind == JsonValueKind.Number ? off.GetDouble()
                : throw new ModelException($"{Where(stateKey[prefix.Length..])}: nested_offset is missing");
            stored = Need("weight.absmax", ScalarType.Byte, blocks);
            nestedAbsmax = Need("weight.nested_absmax", ScalarType.Float32, (blocks + nb - 1) / nb);
            nestedCode = Need("weight.nested_quant_map", ScalarType.Float32, 256);
            absmax = F.dequantize_blockwise(stored, nestedAbsmax, nestedCode, nb).add((float)offset);
        }
        else
        {
            stored = Need("weight.absmax", ScalarType.Float32, blocks);
            absmax = stored;
        }
        var result = new Quant4Weight(packed, stored, code, nestedAbsmax, nestedCode, bytes, quantType, blocksize, outFeatures, inFeatures, absmax);
        foreach (var t in result.Tensors()) t.DetachFromDisposeScope();   // owned by the layer from now on
        return result;
    }

    private static long Long(JsonElement state, string key, string where) =>
        state.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number && v.TryGetInt64(out long x) ? x
            : throw new ModelException($"{where}: '{key}' is missing or not a whole number");

    /// <summary>The tensors to save under the layer's prefix, named as transformers names them.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateDict(string prefix)
    {
        yield return new(prefix + "weight", Packed);
        yield return new(prefix + "weight.absmax", StoredAbsmax);
        yield return new(prefix + "weight.quant_map", Code);
        if (NestedAbsmax is not null) yield return new(prefix + "weight.nested_absmax", NestedAbsmax);
        if (NestedCode is not null) yield return new(prefix + "weight.nested_quant_map", NestedCode);
        yield return new(prefix + "weight.quant_state.bitsandbytes__" + QuantType, tensor(QuantState, new long[] { QuantState.Length }));
    }

    public string Kind => $"4-bit {QuantType}";

    public Tensor Linear(Tensor x, Tensor? bias, bool valueUnused = false, bool keepForRerun = false) =>
        F.linear_4bit(x, Packed, Absmax, Code, OutFeatures, InFeatures, Blocksize, bias, valueUnused, keepForRerun);

    /// <summary>The float (out, in) weight the layer computes with.</summary>
    public Tensor Dequantize(ScalarType dtype) => F.dequantize_4bit(Packed, Absmax, Code, Blocksize, [OutFeatures, InFeatures], dtype);

    private IEnumerable<Tensor> Tensors() =>
        new[] { Packed, StoredAbsmax, Absmax, Code, NestedAbsmax, NestedCode }.Where(t => t is not null).Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>();

    public void Dispose()
    {
        foreach (var t in Tensors()) t.Dispose();
    }

    /// <summary>json.dumps of the quant-state dict as Python writes it: ", " and ": " separators, floats in repr form.</summary>
    internal static string PythonJson(IEnumerable<(string key, object value)> items)
    {
        static string Value(object v) => v switch
        {
            string s => JsonSerializer.Serialize(s),
            long l => l.ToString(CultureInfo.InvariantCulture),
            long[] a => "[" + string.Join(", ", a.Select(x => x.ToString(CultureInfo.InvariantCulture))) + "]",
            double d => PythonFloat(d),
            _ => throw new ArgumentException($"unsupported value {v}"),
        };
        return "{" + string.Join(", ", items.Select(kv => JsonSerializer.Serialize(kv.key) + ": " + Value(kv.value))) + "}";
    }

    /// <summary>Python's repr of a float: the shortest digits that round-trip, positional for exponents −4..15,
    /// otherwise d.ddde±XX; always with a '.0' or an exponent.</summary>
    internal static string PythonFloat(double d)
    {
        if (double.IsNaN(d)) return "NaN";
        if (double.IsInfinity(d)) return d > 0 ? "Infinity" : "-Infinity";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        string r = d.ToString("R", CultureInfo.InvariantCulture);     // shortest round-trip digits
        // digits and decimal exponent of r
        string sign = r.StartsWith('-') ? "-" : "";
        string body = r.TrimStart('-');
        int exp10;
        string mant = body;
        int ePos = body.IndexOfAny(['E', 'e']);
        if (ePos >= 0)
        {
            exp10 = int.Parse(body[(ePos + 1)..], CultureInfo.InvariantCulture);
            mant = body[..ePos];
        }
        else exp10 = 0;
        int dot = mant.IndexOf('.');
        string digits = dot < 0 ? mant : mant.Remove(dot, 1);
        int intLen = dot < 0 ? mant.Length : dot;
        int lead = digits.TakeWhile(c => c == '0').Count();
        digits = digits.TrimStart('0').TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int pointExp = intLen - lead + exp10 - 1;   // value = 0.d1d2... × 10^(pointExp + 1), i.e. d1.d2... × 10^pointExp
        if (pointExp < -4 || pointExp >= 16)
        {
            string m = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{m}e{(pointExp < 0 ? "-" : "+")}{Math.Abs(pointExp):00}";
        }
        if (pointExp < 0) return $"{sign}0.{new string('0', -pointExp - 1)}{digits}";
        if (digits.Length <= pointExp + 1) return $"{sign}{digits}{new string('0', pointExp + 1 - digits.Length)}.0";
        return $"{sign}{digits[..(pointExp + 1)]}.{digits[(pointExp + 1)..]}";
    }
}
