using Alignment.Torch.Native;

namespace Alignment.Torch;

// Views, reshapes, indexing and joining.
public partial class Tensor
{
    public unsafe Tensor view(params long[] shape) { fixed (long* p = shape) return Wrap(NativeMethods.atg_tensor_view(Handle, p, shape.Length)); }
    public unsafe Tensor reshape(params long[] shape) { fixed (long* p = shape) return Wrap(NativeMethods.atg_tensor_reshape(Handle, p, shape.Length)); }
    public unsafe Tensor permute(params long[] dims) { fixed (long* p = dims) return Wrap(NativeMethods.atg_tensor_permute(Handle, p, dims.Length)); }
    /// <summary>Broadcasts to a larger shape without copying (-1 keeps a dimension).</summary>
    public unsafe Tensor expand(params long[] shape) { fixed (long* p = shape) return Wrap(NativeMethods.atg_tensor_expand(Handle, p, shape.Length)); }
    /// <summary>Tiles the tensor (copies).</summary>
    public unsafe Tensor repeat(params long[] repeats) { fixed (long* p = repeats) return Wrap(NativeMethods.atg_tensor_repeat(Handle, p, repeats.Length)); }
    public unsafe Tensor flip(params long[] dims) { fixed (long* p = dims) return Wrap(NativeMethods.atg_tensor_flip(Handle, p, dims.Length)); }

    public Tensor transpose(long dim0, long dim1) => Wrap(NativeMethods.atg_tensor_transpose(Handle, dim0, dim1));
    /// <summary>Transpose of a 2-D tensor.</summary>
    public Tensor t() => transpose(0, 1);
    public Tensor flatten(long startDim = 0, long endDim = -1) => Wrap(NativeMethods.atg_tensor_flatten(Handle, startDim, endDim));
    public Tensor narrow(long dim, long start, long length) => Wrap(NativeMethods.atg_tensor_narrow(Handle, dim, start, length));
    /// <summary>Elements start..end (exclusive) with step along dim; end may be long.MaxValue.</summary>
    public Tensor slice(long dim, long start, long end, long step = 1) => Wrap(NativeMethods.atg_tensor_slice(Handle, dim, start, end, step));
    /// <summary>Removes dimension dim by taking one index along it.</summary>
    public Tensor select(long dim, long index) => Wrap(NativeMethods.atg_tensor_select(Handle, dim, index));
    public Tensor squeeze() => Wrap(NativeMethods.atg_tensor_squeeze(Handle, 0, 0));
    public Tensor squeeze(long dim) => Wrap(NativeMethods.atg_tensor_squeeze(Handle, dim, 1));
    public Tensor unsqueeze(long dim) => Wrap(NativeMethods.atg_tensor_unsqueeze(Handle, dim));

    public Tensor index_select(long dim, Tensor index) => Wrap(NativeMethods.atg_tensor_index_select(Handle, dim, index.Handle));
    public Tensor gather(long dim, Tensor index) => Wrap(NativeMethods.atg_tensor_gather(Handle, dim, index.Handle));
    /// <summary>Out-of-place scatter: a copy of this with src written at index along dim.</summary>
    public Tensor scatter(long dim, Tensor index, Tensor src) => Wrap(NativeMethods.atg_tensor_scatter(Handle, dim, index.Handle, src.Handle));
    public Tensor scatter_add(long dim, Tensor index, Tensor src) => Wrap(NativeMethods.atg_tensor_scatter_add(Handle, dim, index.Handle, src.Handle));
    public Tensor masked_select(Tensor mask) => Wrap(NativeMethods.atg_tensor_masked_select(Handle, mask.Handle));
    public Tensor nonzero() => Wrap(NativeMethods.atg_tensor_nonzero(Handle));

    public Tensor repeat_interleave(long repeats, long dim) => Wrap(NativeMethods.atg_tensor_repeat_interleave(Handle, repeats, dim));
    public Tensor repeat_interleave(Tensor repeats, long dim) => Wrap(NativeMethods.atg_tensor_repeat_interleave_tensor(Handle, repeats.Handle, dim));

    /// <summary>Splits into pieces of splitSize along dim (the last may be smaller).</summary>
    public unsafe Tensor[] split(long splitSize, long dim = 0)
    {
        long n = splitSize <= 0 ? 1 : (size((int)dim) + splitSize - 1) / splitSize;
        var outs = new IntPtr[Math.Max(1, n)];
        int count;
        fixed (IntPtr* o = outs) count = NativeError.Check(NativeMethods.atg_tensor_split(Handle, splitSize, dim, o, outs.Length));
        return WrapAll(outs, count);
    }

    /// <summary>Splits into pieces of the given sizes along dim.</summary>
    public unsafe Tensor[] split(long[] sizes, long dim = 0)
    {
        var outs = new IntPtr[sizes.Length];
        int count;
        fixed (long* s = sizes)
        fixed (IntPtr* o = outs)
            count = NativeError.Check(NativeMethods.atg_tensor_split_sizes(Handle, s, sizes.Length, dim, o, outs.Length));
        return WrapAll(outs, count);
    }

    /// <summary>Splits into (at most) chunks equal pieces along dim.</summary>
    public unsafe Tensor[] chunk(long chunks, long dim = 0)
    {
        var outs = new IntPtr[Math.Max(1, chunks)];
        int count;
        fixed (IntPtr* o = outs) count = NativeError.Check(NativeMethods.atg_tensor_chunk(Handle, chunks, dim, o, outs.Length));
        return WrapAll(outs, count);
    }

    private static Tensor[] WrapAll(IntPtr[] raws, int count)
    {
        var result = new Tensor[count];
        for (int i = 0; i < count; i++) result[i] = new Tensor(raws[i]);
        return result;
    }

    /// <summary>Indexes with a list of tensors' raw handles for cat/stack; keeps them alive for the call.</summary>
    internal static unsafe Tensor Join(IReadOnlyList<Tensor> tensors, long dim, bool stack)
    {
        if (tensors.Count == 0) throw new TorchException(stack ? "stack needs at least one tensor" : "cat needs at least one tensor");
        var raws = new IntPtr[tensors.Count];
        for (int i = 0; i < raws.Length; i++) raws[i] = tensors[i].RawHandle;
        IntPtr r;
        fixed (IntPtr* p = raws)
            r = stack ? NativeMethods.atg_tensor_stack(p, raws.Length, dim) : NativeMethods.atg_tensor_cat(p, raws.Length, dim);
        GC.KeepAlive(tensors);
        return Wrap(r);
    }
}
