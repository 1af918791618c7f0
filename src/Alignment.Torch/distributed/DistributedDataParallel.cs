using Alignment.Torch.Native;
using static Alignment.Torch.torch.nn;

namespace Alignment.Torch.Distributed;

/// <summary>
/// DDP's bucketed gradient allreduce: c10d's Reducer over a model's trainable parameters. The parameters are laid out
/// in buckets (reverse order, the first bucket capped at <c>firstBucketBytes</c>, the others at <c>bucketBytes</c>);
/// during a backward pass armed by <see cref="prepare_for_backward"/>, each bucket is allreduced as soon as all its
/// gradients are ready, overlapping communication with the rest of the backward pass, and the reduced values are
/// written back into .grad before backward returns. A backward pass that is not armed only accumulates locally
/// (DDP's no_sync), so gradient accumulation arms the last micro-batch only.
/// </summary>
public sealed class DistributedDataParallel : IDisposable
{
    public const long DefaultBucketBytes = 25L * 1024 * 1024;
    public const long DefaultFirstBucketBytes = 1024 * 1024;

    private readonly IReadOnlyList<Parameter> parameters;
    private IntPtr handle;

    /// <param name="average">True: the mean of the ranks' gradients (PyTorch DDP); false: their sum (for losses every
    /// rank already divides by the size of the whole global batch).</param>
    /// <param name="findUnused">Let parameters that get no gradient in a step count as ready (a graph walk per step).</param>
    public unsafe DistributedDataParallel(ProcessGroup group, IReadOnlyList<Parameter> parameters, bool average = true,
                                          long bucketBytes = DefaultBucketBytes, long firstBucketBytes = DefaultFirstBucketBytes, bool findUnused = false)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(parameters);
        this.parameters = parameters.ToList();
        var raw = this.parameters.Select(p => p.RawHandle).ToArray();
        fixed (IntPtr* p = raw)
            handle = NativeError.Check(NativeMethods.atg_ddp_new(group.Raw, p, raw.Length, bucketBytes, firstBucketBytes, findUnused ? 1 : 0, average ? 1 : 0));
        GC.KeepAlive(group);
    }

    /// <summary>Arms the next backward pass of <paramref name="output"/> to allreduce the gradients.</summary>
    public unsafe void prepare_for_backward(Tensor output)
    {
        IntPtr raw = output.RawHandle;
        int rc = NativeMethods.atg_ddp_prepare_for_backward(Raw, &raw, 1);
        GC.KeepAlive(output);
        NativeError.Check(rc);
    }

    /// <summary>The buckets' sizes in bytes, in the order they are reduced.</summary>
    public unsafe long[] BucketBytes
    {
        get
        {
            int n = NativeError.Check(NativeMethods.atg_ddp_buckets(Raw, null, 0));
            var sizes = new long[n];
            fixed (long* p = sizes) NativeError.Check(NativeMethods.atg_ddp_buckets(Raw, p, n));
            return sizes;
        }
    }

    private IntPtr Raw => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(DistributedDataParallel));

    public void Dispose()
    {
        if (handle == IntPtr.Zero) return;
        NativeMethods.atg_ddp_free(handle);
        handle = IntPtr.Zero;
        GC.KeepAlive(parameters);
    }
}
