using System.Text;
using System.Text.Json;

namespace Alignment.Torch.IO;

/// <summary>
/// Parses and validates a safetensors header: 8-byte little-endian header length, a JSON object mapping tensor
/// names to {dtype, shape, data_offsets} plus an optional "__metadata__" string map, then the data section.
/// Validation follows the reference implementation: known dtypes, byte ranges matching shape × dtype size,
/// ranges that tile the data section without gaps or overlaps, and a data section as long as the last range.
/// </summary>
internal static class SafetensorsHeader
{
    /// <summary>Headers larger than this are refused (the reference implementation's limit).</summary>
    internal const long MaxHeaderBytes = 100_000_000;

    internal static (List<TensorInfo> tensors, Dictionary<string, string> metadata) Parse(string file, ReadOnlySpan<byte> json, long dataBytes)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json.ToArray());
        }
        catch (JsonException e)
        {
            throw new TorchException($"{file}: the safetensors header is not valid JSON ({e.Message}); the file is corrupt or not a safetensors file");
        }

        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new TorchException($"{file}: the safetensors header must be a JSON object");
            var tensors = new List<TensorInfo>();
            var metadata = new Dictionary<string, string>();
            foreach (var prop in doc.RootElement.EnumerateObject())
            {
                if (prop.Name == "__metadata__")
                {
                    ReadMetadata(file, prop.Value, metadata);
                    continue;
                }
                tensors.Add(ReadTensor(file, prop.Name, prop.Value));
            }
            CheckLayout(file, tensors, dataBytes);
            return (tensors, metadata);
        }
    }

    private static void ReadMetadata(string file, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new TorchException($"{file}: __metadata__ must be an object of strings");
        foreach (var m in value.EnumerateObject())
        {
            if (m.Value.ValueKind != JsonValueKind.String)
                throw new TorchException($"{file}: __metadata__ value '{m.Name}' must be a string");
            metadata[m.Name] = m.Value.GetString()!;
        }
    }

    private static TensorInfo ReadTensor(string file, string name, JsonElement e)
    {
        string where = $"{file}: tensor '{name}'";
        if (e.ValueKind != JsonValueKind.Object) throw new TorchException($"{where}: header entry must be an object");
        if (!e.TryGetProperty("dtype", out var dt) || dt.ValueKind != JsonValueKind.String)
            throw new TorchException($"{where}: missing string field 'dtype'");
        if (!SafetensorsDType.TryParse(dt.GetString()!, out var dtype))
            throw new TorchException($"{where}: unsupported dtype '{dt.GetString()}' (supported: F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL)");
        if (!e.TryGetProperty("shape", out var sh) || sh.ValueKind != JsonValueKind.Array)
            throw new TorchException($"{where}: missing array field 'shape'");
        var shape = new long[sh.GetArrayLength()];
        int i = 0;
        foreach (var d in sh.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out long v) || v < 0)
                throw new TorchException($"{where}: shape entries must be non-negative integers");
            shape[i++] = v;
        }
        if (!e.TryGetProperty("data_offsets", out var off) || off.ValueKind != JsonValueKind.Array || off.GetArrayLength() != 2)
            throw new TorchException($"{where}: missing field 'data_offsets' [begin, end]");
        long begin = ReadOffset(where, off[0]);
        long end = ReadOffset(where, off[1]);
        if (end < begin) throw new TorchException($"{where}: data_offsets end {end} is before begin {begin}");
        var info = new TensorInfo(name, dtype, shape, begin, end);
        long expected;
        try { expected = checked(info.ElementCount * dtype.ElementSize()); }
        catch (OverflowException) { throw new TorchException($"{where}: shape [{string.Join(", ", shape)}] is too large"); }
        if (expected != info.ByteLength)
            throw new TorchException($"{where}: shape [{string.Join(", ", shape)}] of {SafetensorsDType.ToCode(dtype)} needs {expected} bytes but data_offsets span {info.ByteLength}");
        return info;
    }

    private static long ReadOffset(string where, JsonElement e)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long v) || v < 0)
            throw new TorchException($"{where}: data_offsets must be non-negative integers");
        return v;
    }

    private static void CheckLayout(string file, List<TensorInfo> tensors, long dataBytes)
    {
        long cursor = 0;
        foreach (var t in tensors.OrderBy(t => t.Begin).ThenBy(t => t.End))
        {
            if (t.Begin != cursor)
                throw new TorchException(t.Begin > cursor
                    ? $"{file}: tensor '{t.Name}' starts at byte {t.Begin} but the previous tensor ends at {cursor} (gap in the data section)"
                    : $"{file}: tensor '{t.Name}' overlaps the previous tensor (starts at byte {t.Begin}, previous ends at {cursor})");
            cursor = t.End;
        }
        if (cursor > dataBytes)
        {
            var last = tensors.OrderBy(t => t.End).Last();
            throw new TorchException($"{file}: tensor '{last.Name}' needs data bytes [{last.Begin}, {last.End}) but the file has only {dataBytes} data bytes; the file is truncated");
        }
        if (cursor < dataBytes)
            throw new TorchException($"{file}: {dataBytes - cursor} bytes after the last tensor are not described by the header; the file is corrupt");
    }

    /// <summary>Builds the header bytes (JSON padded with spaces to a multiple of 8), tensors in the given order.</summary>
    internal static byte[] Build(IReadOnlyList<TensorInfo> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            if (metadata != null && metadata.Count > 0)
            {
                w.WriteStartObject("__metadata__");
                foreach (var kv in metadata.OrderBy(k => k.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
            }
            foreach (var t in tensors)
            {
                w.WriteStartObject(t.Name);
                w.WriteString("dtype", SafetensorsDType.ToCode(t.DType));
                w.WriteStartArray("shape");
                foreach (long d in t.Shape) w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteStartArray("data_offsets");
                w.WriteNumberValue(t.Begin);
                w.WriteNumberValue(t.End);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndObject();
        }
        int len = (int)ms.Length;
        int padded = (len + 7) / 8 * 8;
        var bytes = new byte[padded];
        ms.GetBuffer().AsSpan(0, len).CopyTo(bytes);
        bytes.AsSpan(len).Fill((byte)' ');
        return bytes;
    }
}
