using System.Buffers.Binary;
using System.Text;
using Alignment.Torch.IO;

namespace Alignment.Torch.Tests;

public sealed class SafetensorsTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("align-st-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    /// <summary>Builds a safetensors file by hand: 8-byte little-endian header length, JSON header, data.</summary>
    private static byte[] HandBuilt(string headerJson, byte[] data)
    {
        var header = Encoding.UTF8.GetBytes(headerJson);
        var bytes = new byte[8 + header.Length + data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    [Fact]
    public void Reads_a_file_built_byte_by_byte()
    {
        // "a": F32 [2,2] = 1, 2, 3, 4 (bytes 0..16); "b": I64 [2] = -1, 7 (bytes 16..32); "c": BF16 [1] = 1.0 (0x3F80, bytes 32..34)
        var data = new byte[34];
        for (int i = 0; i < 4; i++) BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), i + 1);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(16), -1);
        BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(24), 7);
        BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(32), 0x3F80);
        string json = "{\"__metadata__\":{\"format\":\"pt\"}," +
                      "\"b\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[16,32]}," +
                      "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}," +
                      "\"c\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[32,34]}}";
        string path = Path.Combine(dir, "hand.safetensors");
        File.WriteAllBytes(path, HandBuilt(json, data));

        using var scope = NewDisposeScope();
        using var f = SafetensorsFile.Open(path);
        Assert.Equal("pt", f.Metadata["format"]);
        var a = f.Load("a");
        Assert.Equal(new long[] { 2, 2 }, a.shape);
        Assert.Equal(new float[] { 1, 2, 3, 4 }, a.data<float>());
        Assert.Equal(new long[] { -1, 7 }, f.Load("b").data<long>());
        var c = f.Load("c");
        Assert.Equal(ScalarType.BFloat16, c.dtype);
        Assert.Equal(1.0f, c.@float().item<float>());
        Assert.Equal(new float[] { 1, 2, 3, 4 }, f.Load("a", dtype: ScalarType.Float64).@float().data<float>());
    }

    [Fact]
    public void Written_file_has_the_documented_byte_layout()
    {
        string path = Path.Combine(dir, "layout.safetensors");
        using (var scope = NewDisposeScope())
        {
            var t = tensor(new float[] { 0.5f, -2f }, new long[] { 2 });
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["w"] = t }, new Dictionary<string, string> { ["k"] = "v" });
        }
        var bytes = File.ReadAllBytes(path);
        ulong n = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0UL, n % 8);                 // header padded to 8 bytes
        Assert.Equal((long)(8 + n + 8), bytes.Length);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n).TrimEnd(' ');
        Assert.Equal("{\"__metadata__\":{\"k\":\"v\"},\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", header);
        Assert.Equal(0.5f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n)));
        Assert.Equal(-2f, BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(8 + (int)n + 4)));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Int64)]
    [InlineData(ScalarType.Int32)]
    [InlineData(ScalarType.Int16)]
    [InlineData(ScalarType.Int8)]
    [InlineData(ScalarType.Byte)]
    [InlineData(ScalarType.Bool)]
    public void Round_trip_preserves_dtype_shape_and_bytes(ScalarType dtype)
    {
        string path = Path.Combine(dir, $"rt-{dtype}.safetensors");
        using var scope = NewDisposeScope();
        var src = (arange(0, 24, 1, ScalarType.Float64) - 7).reshape(2, 3, 4);
        var t = dtype == ScalarType.Bool ? src.gt(3) : src.abs().to(dtype);
        var empty = zeros(new long[] { 0, 5 }, dtype);
        var nonContiguous = t.transpose(0, 2);
        Safetensors.Save(path, new Dictionary<string, Tensor> { ["t"] = t, ["empty"] = empty, ["nc"] = nonContiguous });

        var (loaded, meta) = Safetensors.Load(path);
        Assert.Empty(meta);
        Assert.Equal(dtype, loaded["t"].dtype);
        Assert.Equal(new long[] { 2, 3, 4 }, loaded["t"].shape);
        Assert.Equal(new long[] { 0, 5 }, loaded["empty"].shape);
        Assert.Equal(new long[] { 4, 3, 2 }, loaded["nc"].shape);
        Assert.True(loaded["t"].eq(t).all().item<bool>());
        Assert.True(loaded["nc"].eq(nonContiguous).all().item<bool>());
    }

    [Fact]
    public void Truncated_file_is_rejected_naming_file_and_tensor()
    {
        string path = Path.Combine(dir, "trunc.safetensors");
        using (var scope = NewDisposeScope())
            Safetensors.Save(path, new Dictionary<string, Tensor> { ["a.weight"] = ones(4, 4), ["b.weight"] = ones(8) });
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^5]);
        var e = Assert.Throws<TorchException>(() => SafetensorsFile.Open(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("b.weight", e.Message);   // the last tensor in the file is the one cut short
        Assert.Contains("truncated", e.Message);

        File.WriteAllBytes(path, bytes[..6]);
        e = Assert.Throws<TorchException>(() => SafetensorsFile.Open(path));
        Assert.Contains("truncated", e.Message);
    }

    [Theory]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", "needs 12 bytes")]
    [InlineData("{\"a\":{\"dtype\":\"F99\",\"shape\":[2],\"data_offsets\":[0,8]}}", "unsupported dtype 'F99'")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", "gap")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", "data_offsets")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}", "not valid JSON")]
    [InlineData("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", "not described")]
    public void Corrupt_headers_are_rejected_with_a_reason(string header, string expected)
    {
        string path = Path.Combine(dir, "bad.safetensors");
        File.WriteAllBytes(path, HandBuilt(header, new byte[8]));
        var e = Assert.Throws<TorchException>(() => SafetensorsFile.Open(path));
        Assert.Contains(expected, e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Implausible_header_length_is_rejected()
    {
        string path = Path.Combine(dir, "huge.safetensors");
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, ulong.MaxValue / 2);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<TorchException>(() => SafetensorsFile.Open(path));
        Assert.Contains("implausible", e.Message);
    }

    [Fact]
    public void Failed_save_leaves_no_partial_file()
    {
        string path = Path.Combine(dir, "atomic.safetensors");
        File.WriteAllText(path, "previous contents");
        var disposed = ones(2);
        disposed.Dispose();
        Assert.Throws<TorchException>(() => Safetensors.Save(path, new Dictionary<string, Tensor> { ["x"] = disposed }));
        Assert.Equal("previous contents", File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(dir));
    }

    [Fact]
    public void Sharded_checkpoint_round_trip_through_the_index()
    {
        string folder = Path.Combine(dir, "model");
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>();
        for (int i = 0; i < 5; i++) tensors[$"model.layers.{i}.mlp.weight"] = full(new long[] { 16, 16 }, i);   // 1 KiB each
        ShardedCheckpoint.Save(folder, tensors, maxShardBytes: 2048);

        Assert.True(File.Exists(Path.Combine(folder, "model.safetensors.index.json")));
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.Equal(3, Directory.GetFiles(folder, "model-*-of-00003.safetensors").Length);
        var index = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "model.safetensors.index.json")))!;
        Assert.Equal(5 * 1024, (long)index["metadata"]!["total_size"]!);
        Assert.Equal("model-00001-of-00003.safetensors", (string)index["weight_map"]!["model.layers.0.mlp.weight"]!);

        using var ckpt = ShardedCheckpoint.Open(folder);
        Assert.Equal(5, ckpt.Names.Count);
        for (int i = 0; i < 5; i++)
            Assert.Equal(i * 256.0, ckpt.Load($"model.layers.{i}.mlp.weight").sum().item<double>());

        // Saving again small enough for one file replaces the shards.
        ShardedCheckpoint.Save(folder, new Dictionary<string, Tensor> { ["w"] = ones(2) });
        Assert.Equal(new[] { "model.safetensors" }, Directory.GetFiles(folder).Select(Path.GetFileName).ToArray());
        using var f = SafetensorsFile.Open(Path.Combine(folder, "model.safetensors"));
        Assert.Equal("pt", f.Metadata["format"]);
    }

    [Fact]
    public void Missing_shard_is_reported_with_what_to_do()
    {
        string folder = Path.Combine(dir, "broken");
        using (var scope = NewDisposeScope())
            ShardedCheckpoint.Save(folder, new Dictionary<string, Tensor> { ["a"] = ones(300), ["b"] = ones(300) }, maxShardBytes: 1200);
        File.Delete(Path.Combine(folder, "model-00002-of-00002.safetensors"));
        var e = Assert.Throws<TorchException>(() => ShardedCheckpoint.Open(folder));
        Assert.Contains("model-00002-of-00002.safetensors", e.Message);
        Assert.Contains("incomplete", e.Message);
    }
}
