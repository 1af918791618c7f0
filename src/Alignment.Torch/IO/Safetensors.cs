using System.Buffers.Binary;

namespace Alignment.Torch.IO;

/// <summary>Reads and writes single safetensors files (Hugging Face's format: 8-byte little-endian header length,
/// JSON header, raw little-endian data).</summary>
public static class Safetensors
{
    /// <summary>
    /// Writes tensors (any device or layout; copied to contiguous CPU memory one at a time) to path, atomically:
    /// the bytes go to a temporary file beside it, which is renamed over path only when complete.
    /// Tensors are stored in name order; metadata becomes the "__metadata__" map.
    /// </summary>
    public static void Save(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var names = tensors.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var infos = new List<TensorInfo>(names.Count);
        long offset = 0;
        foreach (string name in names)
        {
            if (name == "__metadata__") throw new TorchException($"{path}: '__metadata__' is reserved and cannot name a tensor");
            var t = tensors[name];
            var dtype = t.dtype;
            var shape = t.shape;
            long bytes = t.numel() * dtype.ElementSize();
            infos.Add(new TensorInfo(name, dtype, shape, offset, offset + bytes));
            offset += bytes;
        }
        byte[] header = SafetensorsHeader.Build(infos, metadata);

        string dir = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
        Directory.CreateDirectory(dir);
        string tmp = System.IO.Path.Combine(dir, $".{System.IO.Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> len = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)header.Length);
                fs.Write(len);
                fs.Write(header);
                foreach (var info in infos) WriteData(fs, tensors[info.Name]);
                fs.Flush(flushToDisk: true);
            }
            File.Move(tmp, path, overwrite: true);
        }
        catch
        {
            try { File.Delete(tmp); } catch (IOException) { }
            throw;
        }
    }

    private static unsafe void WriteData(Stream fs, Tensor t)
    {
        using var scope = torch.NewDisposeScope();
        var c = t.detach().cpu().contiguous();
        long n = c.numel() * c.element_size();
        if (n == 0) return;
        byte* p = (byte*)c.data_ptr();
        const int chunk = 1 << 24;
        for (long done = 0; done < n; done += chunk)
        {
            int len = (int)Math.Min(chunk, n - done);
            fs.Write(new ReadOnlySpan<byte>(p + done, len));
        }
    }

    /// <summary>Loads every tensor and the metadata of one file.</summary>
    public static (Dictionary<string, Tensor> tensors, Dictionary<string, string> metadata) Load(string path, ScalarType? dtype = null, Device? device = null)
    {
        using var f = SafetensorsFile.Open(path);
        var tensors = f.LoadAll(dtype, device);
        return (tensors, new Dictionary<string, string>(f.Metadata));
    }
}
