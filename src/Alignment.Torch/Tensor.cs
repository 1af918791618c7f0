using System.Runtime.InteropServices;
using Alignment.Torch.Native;

namespace Alignment.Torch;

/// <summary>
/// An n-dimensional array in libtorch memory, owned through a SafeHandle. Dispose it, or create it inside a
/// <see cref="DisposeScope"/> (torch.NewDisposeScope()), so native memory is freed deterministically.
/// Method names follow PyTorch/TorchSharp (view, permute, sum, backward ...).
/// </summary>
public partial class Tensor : IDisposable
{
    private static long liveCount;
    private readonly TensorHandle handle;

    internal Tensor(IntPtr raw)
    {
        handle = new TensorHandle(raw);
        Interlocked.Increment(ref liveCount);
        DisposeScope.Register(this);
    }

    /// <summary>Tensors created through this API and not yet disposed (process-wide).</summary>
    public static long LiveCount => Interlocked.Read(ref liveCount);

    /// <summary>The scope that will dispose this tensor, if any.</summary>
    public DisposeScope? OwningScope { get; internal set; }

    public bool IsDisposed => handle.IsClosed;

    internal TensorHandle Handle
    {
        get
        {
            if (handle.IsClosed)
                throw new TorchException("tensor used after Dispose(): it was freed, e.g. by the end of its dispose scope; " +
                                         "call MoveToOuterScope() or DetachFromDisposeScope() to keep it longer");
            return handle;
        }
    }

    /// <summary>The native handle as a raw pointer, for passing optional tensors; the caller keeps this tensor alive.</summary>
    internal IntPtr RawHandle => Handle.DangerousGetHandle();

    internal static Tensor Wrap(IntPtr raw) => new(NativeError.Check(raw));

    internal static Tensor? WrapNullable(IntPtr raw)
    {
        raw = NativeError.CheckNullable(raw);
        return raw == IntPtr.Zero ? null : new Tensor(raw);
    }

    public virtual void Dispose()
    {
        if (handle.IsClosed) return;
        handle.Dispose();
        Interlocked.Decrement(ref liveCount);
        GC.SuppressFinalize(this);
    }

    /// <summary>Hands this tensor to the scope enclosing its current one (or to nobody when there is none).</summary>
    public Tensor MoveToOuterScope()
    {
        var scope = OwningScope;
        if (scope == null) return this;
        OwningScope = null;
        scope.Outer?.Add(this);
        return this;
    }

    /// <summary>Takes this tensor out of scope management: the caller now disposes it.</summary>
    public Tensor DetachFromDisposeScope()
    {
        OwningScope = null;
        return this;
    }

    // ---- metadata ----

    public int dim() => NativeError.Check(NativeMethods.atg_tensor_ndim(Handle));

    public int ndim => dim();

    public unsafe long[] shape
    {
        get
        {
            Span<long> buf = stackalloc long[16];
            int n;
            fixed (long* p = buf) n = NativeError.Check(NativeMethods.atg_tensor_shape(Handle, p, buf.Length));
            return buf[..n].ToArray();
        }
    }

    /// <summary>Size of one dimension (negative counts from the end).</summary>
    public long size(int dim)
    {
        var s = shape;
        int d = dim < 0 ? dim + s.Length : dim;
        if (d < 0 || d >= s.Length) throw new TorchException($"dimension {dim} out of range for a tensor of {s.Length} dimensions");
        return s[d];
    }

    public ScalarType dtype => (ScalarType)NativeError.Check(NativeMethods.atg_tensor_dtype(Handle));

    public Device device
    {
        get
        {
            int type = NativeError.Check(NativeMethods.atg_tensor_device(Handle, out int index));
            return new Device((DeviceType)type, index);
        }
    }

    public long numel() => NativeError.Check(NativeMethods.atg_tensor_numel(Handle));

    public bool is_contiguous() => NativeError.Check(NativeMethods.atg_tensor_is_contiguous(Handle)) != 0;

    public int element_size() => NativeError.Check(NativeMethods.atg_tensor_element_size(Handle));

    /// <summary>Pointer to the first element of a CPU tensor (valid while the tensor lives; contiguous tensors only for flat reads).</summary>
    public IntPtr data_ptr() => NativeError.Check(NativeMethods.atg_tensor_data_ptr(Handle));

    // ---- data out ----

    /// <summary>Copies the elements (any device, any layout) into a new array, row-major. T must match the dtype's size
    /// (float for float32, Half for float16, ushort for raw bfloat16 bits, long for int64, bool for bool ...).</summary>
    public unsafe T[] data<T>() where T : unmanaged
    {
        CheckElementType<T>();
        var result = new T[numel()];
        fixed (T* p = result)
            NativeError.Check(NativeMethods.atg_tensor_copy_to(Handle, p, (long)result.Length * sizeof(T)));
        return result;
    }

    /// <summary>Copies the elements into a caller-provided byte span (its length must equal numel × element size).</summary>
    public unsafe void CopyTo(Span<byte> destination)
    {
        fixed (byte* p = destination)
            NativeError.Check(NativeMethods.atg_tensor_copy_to(Handle, p, destination.Length));
    }

    private unsafe void CheckElementType<T>() where T : unmanaged
    {
        var dt = dtype;
        bool ok = dt switch
        {
            ScalarType.Float32 => typeof(T) == typeof(float),
            ScalarType.Float64 => typeof(T) == typeof(double),
            ScalarType.Float16 => typeof(T) == typeof(Half) || typeof(T) == typeof(ushort),
            ScalarType.BFloat16 => typeof(T) == typeof(ushort),
            ScalarType.Int64 => typeof(T) == typeof(long),
            ScalarType.Int32 => typeof(T) == typeof(int),
            ScalarType.Int16 => typeof(T) == typeof(short),
            ScalarType.Int8 => typeof(T) == typeof(sbyte),
            ScalarType.Byte => typeof(T) == typeof(byte),
            ScalarType.Bool => typeof(T) == typeof(bool) || typeof(T) == typeof(byte),
            _ => false,
        };
        if (!ok) throw new TorchException($"cannot read a {dt.TorchName()} tensor as {typeof(T).Name}; convert it with .to(...) first");
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public T item<T>() where T : unmanaged
    {
        if (typeof(T) == typeof(long) || typeof(T) == typeof(int) || typeof(T) == typeof(bool))
        {
            NativeError.Check(NativeMethods.atg_tensor_item_int64(Handle, out long l));
            if (typeof(T) == typeof(long)) return (T)(object)l;
            if (typeof(T) == typeof(int)) return (T)(object)checked((int)l);
            return (T)(object)(l != 0);
        }
        NativeError.Check(NativeMethods.atg_tensor_item_double(Handle, out double d));
        if (typeof(T) == typeof(double)) return (T)(object)d;
        if (typeof(T) == typeof(float)) return (T)(object)(float)d;
        if (typeof(T) == typeof(Half)) return (T)(object)(Half)d;
        throw new TorchException($"item<{typeof(T).Name}> is not supported; use float, double, Half, long, int or bool");
    }

    public float ToSingle() => item<float>();
    public double ToDouble() => item<double>();
    public long ToInt64() => item<long>();

    public override string ToString() =>
        handle.IsClosed ? "tensor(disposed)" : NativeError.TakeString(NativeMethods.atg_tensor_to_string(Handle));

    // ---- conversion and copies ----

    public Tensor to(ScalarType dtype) => Wrap(NativeMethods.atg_tensor_to(Handle, (int)dtype, -1, -1, 0));

    public Tensor to(Device device) => Wrap(NativeMethods.atg_tensor_to(Handle, -1, (int)device.type, device.index, 0));

    public Tensor to(ScalarType dtype, Device device) => Wrap(NativeMethods.atg_tensor_to(Handle, (int)dtype, (int)device.type, device.index, 0));

    public Tensor to(string device) => to(Device.Parse(device));

    public Tensor cpu() => to(Device.CPU);

    public Tensor cuda(int index = 0) => to(new Device(DeviceType.CUDA, index));

    public Tensor @float() => to(ScalarType.Float32);
    public Tensor @double() => to(ScalarType.Float64);
    public Tensor @long() => to(ScalarType.Int64);
    public Tensor @bool() => to(ScalarType.Bool);
    public Tensor half() => to(ScalarType.Float16);
    public Tensor bfloat16() => to(ScalarType.BFloat16);

    public Tensor clone() => Wrap(NativeMethods.atg_tensor_clone(Handle));

    public Tensor contiguous() => Wrap(NativeMethods.atg_tensor_contiguous(Handle));

    /// <summary>A second handle to the same tensor (same storage, same autograd identity), owned separately.</summary>
    public Tensor alias() => Wrap(NativeMethods.atg_tensor_alias(Handle));

    public Tensor copy_(Tensor src)
    {
        NativeError.Check(NativeMethods.atg_tensor_copy_(Handle, src.Handle));
        return this;
    }

    public Tensor fill_(double value)
    {
        NativeError.Check(NativeMethods.atg_tensor_fill_(Handle, value));
        return this;
    }

    public Tensor zero_()
    {
        NativeError.Check(NativeMethods.atg_tensor_zero_(Handle));
        return this;
    }

    /// <summary>Fills in place from N(mean, std²) (no autograd).</summary>
    public Tensor normal_(double mean = 0, double std = 1, Generator? generator = null)
    {
        NativeError.Check(NativeMethods.atg_tensor_normal_(Handle, mean, std, generator?.Raw ?? IntPtr.Zero));
        GC.KeepAlive(generator);
        return this;
    }

    /// <summary>Fills in place from U[from, to) (no autograd).</summary>
    public Tensor uniform_(double from = 0, double to = 1, Generator? generator = null)
    {
        NativeError.Check(NativeMethods.atg_tensor_uniform_(Handle, from, to, generator?.Raw ?? IntPtr.Zero));
        GC.KeepAlive(generator);
        return this;
    }
}
