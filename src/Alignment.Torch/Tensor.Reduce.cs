using Alignment.Torch.Native;

namespace Alignment.Torch;

// Reductions, sorting and sampling.
public partial class Tensor
{
    // Each reduction takes either one dim (a long) or a list of dims; a null/empty list reduces every element.
    // (There is deliberately no overload taking only a dtype: C# converts the literal 0 to any enum, so sum(0)
    // would silently mean "sum everything as uint8".)

    /// <summary>Sum over dims (all elements when dims is null or empty); dtype sets the accumulation/result type.</summary>
    public unsafe Tensor sum(long[]? dims = null, bool keepdim = false, ScalarType? dtype = null)
    {
        dims ??= Array.Empty<long>();
        fixed (long* p = dims) return Wrap(NativeMethods.atg_tensor_sum(Handle, p, dims.Length, keepdim ? 1 : 0, DType(dtype)));
    }

    public Tensor sum(long dim, bool keepdim = false, ScalarType? dtype = null) => sum(new[] { dim }, keepdim, dtype);

    /// <summary>Mean over dims (all elements when dims is null or empty).</summary>
    public unsafe Tensor mean(long[]? dims = null, bool keepdim = false, ScalarType? dtype = null)
    {
        dims ??= Array.Empty<long>();
        fixed (long* p = dims) return Wrap(NativeMethods.atg_tensor_mean(Handle, p, dims.Length, keepdim ? 1 : 0, DType(dtype)));
    }

    public Tensor mean(long dim, bool keepdim = false, ScalarType? dtype = null) => mean(new[] { dim }, keepdim, dtype);

    /// <summary>Variance over dims (all elements when dims is null or empty); correction 1 is the unbiased (sample)
    /// estimate, 0 the population one.</summary>
    public unsafe Tensor var(long[]? dims = null, bool keepdim = false, long correction = 1)
    {
        dims ??= Array.Empty<long>();
        fixed (long* p = dims) return Wrap(NativeMethods.atg_tensor_var(Handle, p, dims.Length, correction, keepdim ? 1 : 0));
    }

    public Tensor var(long dim, bool keepdim = false, long correction = 1) => var(new[] { dim }, keepdim, correction);

    public unsafe Tensor logsumexp(long dim, bool keepdim = false)
    {
        long d = dim;
        return Wrap(NativeMethods.atg_tensor_logsumexp(Handle, &d, 1, keepdim ? 1 : 0));
    }

    /// <summary>p-norm over all elements.</summary>
    public unsafe Tensor norm(double p = 2) => Wrap(NativeMethods.atg_tensor_norm(Handle, p, null, 0, 0));

    public unsafe Tensor norm(double p, long dim, bool keepdim = false)
    {
        long d = dim;
        return Wrap(NativeMethods.atg_tensor_norm(Handle, p, &d, 1, keepdim ? 1 : 0));
    }

    public Tensor max() => Wrap(NativeMethods.atg_tensor_max_all(Handle));
    public Tensor min() => Wrap(NativeMethods.atg_tensor_min_all(Handle));

    /// <summary>Maximum along dim: (values, indices).</summary>
    public (Tensor values, Tensor indexes) max(long dim, bool keepdim = false)
    {
        NativeError.Check(NativeMethods.atg_tensor_max_dim(Handle, dim, keepdim ? 1 : 0, out IntPtr v, out IntPtr i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Minimum along dim: (values, indices).</summary>
    public (Tensor values, Tensor indexes) min(long dim, bool keepdim = false)
    {
        NativeError.Check(NativeMethods.atg_tensor_min_dim(Handle, dim, keepdim ? 1 : 0, out IntPtr v, out IntPtr i));
        return (new Tensor(v), new Tensor(i));
    }

    public Tensor argmax() => Wrap(NativeMethods.atg_tensor_argmax(Handle, 0, 0, 0));
    public Tensor argmax(long dim, bool keepdim = false) => Wrap(NativeMethods.atg_tensor_argmax(Handle, dim, 1, keepdim ? 1 : 0));
    public Tensor argmin() => Wrap(NativeMethods.atg_tensor_argmin(Handle, 0, 0, 0));
    public Tensor argmin(long dim, bool keepdim = false) => Wrap(NativeMethods.atg_tensor_argmin(Handle, dim, 1, keepdim ? 1 : 0));

    public Tensor cumsum(long dim, ScalarType? dtype = null) => Wrap(NativeMethods.atg_tensor_cumsum(Handle, dim, DType(dtype)));

    public Tensor all() => Wrap(NativeMethods.atg_tensor_all(Handle));
    public Tensor any() => Wrap(NativeMethods.atg_tensor_any(Handle));

    /// <summary>The k largest (or smallest) elements along dim: (values, indices).</summary>
    public (Tensor values, Tensor indexes) topk(long k, long dim = -1, bool largest = true, bool sorted = true)
    {
        NativeError.Check(NativeMethods.atg_tensor_topk(Handle, k, dim, largest ? 1 : 0, sorted ? 1 : 0, out IntPtr v, out IntPtr i));
        return (new Tensor(v), new Tensor(i));
    }

    public (Tensor values, Tensor indexes) sort(long dim = -1, bool descending = false)
    {
        NativeError.Check(NativeMethods.atg_tensor_sort(Handle, dim, descending ? 1 : 0, out IntPtr v, out IntPtr i));
        return (new Tensor(v), new Tensor(i));
    }

    /// <summary>Draws numSamples indices per row from the (unnormalized) probabilities in this tensor.</summary>
    public Tensor multinomial(long numSamples, bool replacement = false, Generator? generator = null)
    {
        var r = NativeMethods.atg_tensor_multinomial(Handle, numSamples, replacement ? 1 : 0, generator?.Raw ?? IntPtr.Zero);
        GC.KeepAlive(generator);
        return Wrap(r);
    }

    private static int DType(ScalarType? t) => t.HasValue ? (int)t.Value : -1;
}
