using Alignment.Torch.Native;

namespace Alignment.Torch;

// Tensor creation: constant fills, ranges, random draws and copies from C# memory.
public static partial class torch
{
    public static unsafe Tensor zeros(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false)
    {
        var d = device ?? CPU;
        fixed (long* p = shape) return Tensor.Wrap(NativeMethods.atg_tensor_zeros(p, shape.Length, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    public static Tensor zeros(params long[] shape) => zeros(shape, float32);

    public static unsafe Tensor ones(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false)
    {
        var d = device ?? CPU;
        fixed (long* p = shape) return Tensor.Wrap(NativeMethods.atg_tensor_ones(p, shape.Length, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    public static Tensor ones(params long[] shape) => ones(shape, float32);

    /// <summary>Uninitialized memory of the given shape.</summary>
    public static unsafe Tensor empty(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false)
    {
        var d = device ?? CPU;
        fixed (long* p = shape) return Tensor.Wrap(NativeMethods.atg_tensor_empty(p, shape.Length, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    public static unsafe Tensor full(long[] shape, double value, ScalarType dtype = float32, Device? device = null, bool requires_grad = false)
    {
        var d = device ?? CPU;
        fixed (long* p = shape) return Tensor.Wrap(NativeMethods.atg_tensor_full(p, shape.Length, value, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    public static Tensor zeros_like(Tensor t) => zeros(t.shape, t.dtype, t.device);
    public static Tensor ones_like(Tensor t) => ones(t.shape, t.dtype, t.device);
    public static Tensor full_like(Tensor t, double value) => full(t.shape, value, t.dtype, t.device);

    /// <summary>Values start, start+step, ... below end (int64 by default, as in PyTorch for integer bounds).</summary>
    public static Tensor arange(double start, double end, double step = 1, ScalarType dtype = int64, Device? device = null, bool requires_grad = false)
    {
        if (step == 0) throw new TorchException("arange step must not be zero");
        var d = device ?? CPU;
        return Tensor.Wrap(NativeMethods.atg_tensor_arange(start, end, step, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    public static Tensor arange(long end, ScalarType dtype = int64, Device? device = null) => arange(0, end, 1, dtype, device);

    /// <summary>Standard normal samples; pass a seeded generator for reproducible draws.</summary>
    public static unsafe Tensor randn(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false, Generator? generator = null)
    {
        var d = device ?? CPU;
        IntPtr r;
        fixed (long* p = shape) r = NativeMethods.atg_tensor_randn(p, shape.Length, generator?.Raw ?? IntPtr.Zero, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0);
        GC.KeepAlive(generator);
        return Tensor.Wrap(r);
    }

    public static Tensor randn(params long[] shape) => randn(shape, float32);

    /// <summary>Uniform samples in [0, 1).</summary>
    public static unsafe Tensor rand(long[] shape, ScalarType dtype = float32, Device? device = null, bool requires_grad = false, Generator? generator = null)
    {
        var d = device ?? CPU;
        IntPtr r;
        fixed (long* p = shape) r = NativeMethods.atg_tensor_rand(p, shape.Length, generator?.Raw ?? IntPtr.Zero, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0);
        GC.KeepAlive(generator);
        return Tensor.Wrap(r);
    }

    public static Tensor rand(params long[] shape) => rand(shape, float32);

    /// <summary>Integers uniformly drawn from [low, high).</summary>
    public static unsafe Tensor randint(long low, long high, long[] shape, ScalarType dtype = int64, Device? device = null, Generator? generator = null)
    {
        if (high <= low) throw new TorchException($"randint needs low < high, got [{low}, {high})");
        var d = device ?? CPU;
        IntPtr r;
        fixed (long* p = shape) r = NativeMethods.atg_tensor_randint(low, high, p, shape.Length, generator?.Raw ?? IntPtr.Zero, (int)dtype, (int)d.type, d.index);
        GC.KeepAlive(generator);
        return Tensor.Wrap(r);
    }

    // ---- from C# memory (one copy into libtorch-owned memory) ----

    /// <summary>Creates a tensor from raw little-endian bytes of the given dtype (e.g. bfloat16 or float16 read from a file).</summary>
    public static unsafe Tensor frombuffer(ReadOnlySpan<byte> bytes, long[] shape, ScalarType dtype, Device? device = null, bool requires_grad = false)
    {
        var d = device ?? CPU;
        fixed (byte* b = bytes)
        fixed (long* s = shape)
            return Tensor.Wrap(NativeMethods.atg_tensor_from_data(b, bytes.Length, s, shape.Length, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    /// <summary>Creates a tensor by copying nbytes of host memory at data (row-major, the given dtype); for memory-mapped files
    /// and spans larger than 2 GiB.</summary>
    public static unsafe Tensor frombuffer(IntPtr data, long nbytes, long[] shape, ScalarType dtype, Device? device = null, bool requires_grad = false)
    {
        var d = device ?? CPU;
        fixed (long* s = shape)
            return Tensor.Wrap(NativeMethods.atg_tensor_from_data((void*)data, nbytes, s, shape.Length, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    private static unsafe Tensor FromSpan<T>(ReadOnlySpan<T> data, long[]? shape, ScalarType dtype, Device? device, bool requires_grad) where T : unmanaged
    {
        shape ??= new long[] { data.Length };
        long n = 1;
        foreach (long s in shape) n *= s;
        if (n != data.Length)
            throw new TorchException($"shape [{string.Join(", ", shape)}] holds {n} elements but {data.Length} values were given");
        var d = device ?? CPU;
        fixed (T* p = data)
        fixed (long* s = shape)
            return Tensor.Wrap(NativeMethods.atg_tensor_from_data(p, (long)data.Length * sizeof(T), s, shape.Length, (int)dtype, (int)d.type, d.index, requires_grad ? 1 : 0));
    }

    public static Tensor tensor(ReadOnlySpan<float> data, long[]? shape = null, Device? device = null, bool requires_grad = false) => FromSpan(data, shape, float32, device, requires_grad);
    public static Tensor tensor(ReadOnlySpan<double> data, long[]? shape = null, Device? device = null, bool requires_grad = false) => FromSpan(data, shape, float64, device, requires_grad);
    public static Tensor tensor(ReadOnlySpan<Half> data, long[]? shape = null, Device? device = null, bool requires_grad = false) => FromSpan(data, shape, float16, device, requires_grad);
    public static Tensor tensor(ReadOnlySpan<long> data, long[]? shape = null, Device? device = null) => FromSpan(data, shape, int64, device, false);
    public static Tensor tensor(ReadOnlySpan<int> data, long[]? shape = null, Device? device = null) => FromSpan(data, shape, int32, device, false);
    public static Tensor tensor(ReadOnlySpan<short> data, long[]? shape = null, Device? device = null) => FromSpan(data, shape, int16, device, false);
    public static Tensor tensor(ReadOnlySpan<sbyte> data, long[]? shape = null, Device? device = null) => FromSpan(data, shape, int8, device, false);
    public static Tensor tensor(ReadOnlySpan<byte> data, long[]? shape = null, Device? device = null) => FromSpan(data, shape, uint8, device, false);
    public static Tensor tensor(ReadOnlySpan<bool> data, long[]? shape = null, Device? device = null) => FromSpan(data, shape, @bool, device, false);

    public static Tensor tensor(float[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor((ReadOnlySpan<float>)data, shape, device, requires_grad);
    public static Tensor tensor(double[] data, long[]? shape = null, Device? device = null, bool requires_grad = false) => tensor((ReadOnlySpan<double>)data, shape, device, requires_grad);
    public static Tensor tensor(long[] data, long[]? shape = null, Device? device = null) => tensor((ReadOnlySpan<long>)data, shape, device);
    public static Tensor tensor(int[] data, long[]? shape = null, Device? device = null) => tensor((ReadOnlySpan<int>)data, shape, device);
    public static Tensor tensor(bool[] data, long[]? shape = null, Device? device = null) => tensor((ReadOnlySpan<bool>)data, shape, device);
    public static Tensor tensor(byte[] data, long[]? shape = null, Device? device = null) => tensor((ReadOnlySpan<byte>)data, shape, device);

    /// <summary>A 0-dimensional tensor holding one value.</summary>
    public static Tensor scalar_tensor(double value, ScalarType dtype = float32, Device? device = null) => full(Array.Empty<long>(), value, dtype, device);
}
