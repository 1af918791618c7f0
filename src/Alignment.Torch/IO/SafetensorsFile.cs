using System.Buffers.Binary;
using System.IO.MemoryMappedFiles;

namespace Alignment.Torch.IO;

/// <summary>
/// A safetensors file opened for reading. The file is memory-mapped: the header is parsed and validated on
/// open, and each tensor is copied straight from the mapping into libtorch memory when asked for, so a large
/// checkpoint is never held twice. Dispose to unmap.
/// </summary>
public sealed class SafetensorsFile : IDisposable
{
    private readonly MemoryMappedFile? map;
    private readonly MemoryMappedViewAccessor? view;
    private readonly Dictionary<string, TensorInfo> byName;
    private readonly long dataStart;

    private SafetensorsFile(string path, MemoryMappedFile? map, MemoryMappedViewAccessor? view, List<TensorInfo> tensors,
                            Dictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        this.map = map;
        this.view = view;
        Tensors = tensors;
        Metadata = metadata;
        this.dataStart = dataStart;
        byName = tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>Tensor entries in header order.</summary>
    public IReadOnlyList<TensorInfo> Tensors { get; }

    /// <summary>The header's "__metadata__" map (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public IEnumerable<string> Names => Tensors.Select(t => t.Name);

    public bool Contains(string name) => byName.ContainsKey(name);

    public TensorInfo Info(string name) =>
        byName.TryGetValue(name, out var info) ? info : throw new TorchException($"{Path}: no tensor named '{name}'");

    /// <summary>Opens and validates a file; a truncated or corrupt file throws TorchException naming the file (and tensor).</summary>
    public static SafetensorsFile Open(string path)
    {
        var fi = new FileInfo(path);
        if (!fi.Exists) throw new TorchException($"{path}: file not found");
        long length = fi.Length;
        if (length < 8) throw new TorchException($"{path}: {length} bytes is too short for a safetensors file (needs an 8-byte header length); the file is truncated");

        var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.Read);
        MemoryMappedViewAccessor? view = null;
        try
        {
            view = map.CreateViewAccessor(0, length, MemoryMappedFileAccess.Read);
            unsafe
            {
                byte* basePtr = null;
                view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
                try
                {
                    basePtr += view.PointerOffset;
                    ulong headerLen = BinaryPrimitives.ReadUInt64LittleEndian(new ReadOnlySpan<byte>(basePtr, 8));
                    if (headerLen > SafetensorsHeader.MaxHeaderBytes)
                        throw new TorchException($"{path}: header length {headerLen} is implausible (limit {SafetensorsHeader.MaxHeaderBytes}); the file is corrupt or not a safetensors file");
                    if (8 + (long)headerLen > length)
                        throw new TorchException($"{path}: header says {headerLen} bytes but the file has only {length - 8} after the length field; the file is truncated");
                    var json = new ReadOnlySpan<byte>(basePtr + 8, (int)headerLen);
                    long dataStart = 8 + (long)headerLen;
                    var (tensors, metadata) = SafetensorsHeader.Parse(path, json, length - dataStart);
                    return new SafetensorsFile(path, map, view, tensors, metadata, dataStart);
                }
                finally
                {
                    view.SafeMemoryMappedViewHandle.ReleasePointer();
                }
            }
        }
        catch
        {
            view?.Dispose();
            map.Dispose();
            throw;
        }
    }

    /// <summary>Copies one tensor out of the file into a new tensor (optionally converted to dtype / moved to device).</summary>
    public Tensor Load(string name, ScalarType? dtype = null, Device? device = null)
    {
        var info = Info(name);
        if (view == null) throw new TorchException($"{Path}: file is closed");
        Tensor t;
        unsafe
        {
            byte* basePtr = null;
            view.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
            try
            {
                var p = (IntPtr)(basePtr + view.PointerOffset + dataStart + info.Begin);
                try
                {
                    t = torch.frombuffer(p, info.ByteLength, info.Shape, info.DType);
                }
                catch (TorchException e)
                {
                    throw new TorchException($"{Path}: tensor '{name}': {e.Message}", e);
                }
            }
            finally
            {
                view.SafeMemoryMappedViewHandle.ReleasePointer();
            }
        }
        if ((dtype == null || dtype == info.DType) && (device == null || device.Value.type == DeviceType.CPU)) return t;
        using (t)
        {
            var converted = t.to(dtype ?? info.DType, device ?? Device.CPU);
            return converted;
        }
    }

    /// <summary>Loads every tensor.</summary>
    public Dictionary<string, Tensor> LoadAll(ScalarType? dtype = null, Device? device = null)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in Tensors) result[info.Name] = Load(info.Name, dtype, device);
        }
        catch
        {
            foreach (var t in result.Values) t.Dispose();
            throw;
        }
        return result;
    }

    public void Dispose()
    {
        view?.Dispose();
        map?.Dispose();
    }
}
