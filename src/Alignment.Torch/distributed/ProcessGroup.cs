using Alignment.Torch.Native;

namespace Alignment.Torch.Distributed;

/// <summary>How <see cref="ProcessGroup.all_reduce"/> combines the ranks' values (c10d's ReduceOp).</summary>
public enum ReduceOp
{
    Sum = 0,
    Max = 1,
    Min = 2,
    Product = 3,
}

/// <summary>
/// A c10d process group (torch.distributed's init_process_group): rank 0 hosts a TCPStore at host:port, every rank
/// joins it, and the group (Gloo on CPU; NCCL on CUDA when the bridge was built with it) runs collectives over all
/// world_size ranks. Every collective waits at most <see cref="Timeout"/>; a peer that died or hangs makes it throw
/// <see cref="TorchException"/> instead of blocking forever.
/// </summary>
public sealed class ProcessGroup : IDisposable
{
    private IntPtr handle;

    private ProcessGroup(IntPtr handle, string backend, int rank, int worldSize, TimeSpan timeout)
    {
        this.handle = handle;
        Backend = backend;
        Rank = rank;
        WorldSize = worldSize;
        Timeout = timeout;
    }

    public string Backend { get; }
    public int Rank { get; }
    public int WorldSize { get; }
    public TimeSpan Timeout { get; }

    /// <summary>Whether this bridge can make NCCL groups (built against a CUDA libtorch with nccl.h).</summary>
    public static bool NcclAvailable => NativeMethods.atg_dist_has_nccl() == 1;

    /// <summary>Joins the group; returns once all <paramref name="worldSize"/> ranks have joined (or throws after
    /// <paramref name="timeout"/>).</summary>
    public static ProcessGroup Init(string backend, string host, int port, int rank, int worldSize, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(host);
        IntPtr h = NativeError.Check(NativeMethods.atg_dist_init(backend, host, port, rank, worldSize, (long)timeout.TotalMilliseconds));
        return new ProcessGroup(h, backend, rank, worldSize, timeout);
    }

    internal IntPtr Raw => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(ProcessGroup));

    /// <summary>Reduces each tensor in place over all ranks.</summary>
    public unsafe void all_reduce(IReadOnlyList<Tensor> tensors, ReduceOp op = ReduceOp.Sum)
    {
        var raw = Handles(tensors);
        int rc;
        fixed (IntPtr* p = raw) rc = NativeMethods.atg_dist_allreduce(Raw, p, raw.Length, (int)op);
        GC.KeepAlive(tensors);
        NativeError.Check(rc);
    }

    public void all_reduce(Tensor tensor, ReduceOp op = ReduceOp.Sum) => all_reduce([tensor], op);

    /// <summary>Every rank's tensors become <paramref name="root"/>'s, in place.</summary>
    public unsafe void broadcast(IReadOnlyList<Tensor> tensors, int root = 0)
    {
        var raw = Handles(tensors);
        int rc;
        fixed (IntPtr* p = raw) rc = NativeMethods.atg_dist_broadcast(Raw, p, raw.Length, root);
        GC.KeepAlive(tensors);
        NativeError.Check(rc);
    }

    /// <summary>Returns once every rank has reached it.</summary>
    public void barrier() => NativeError.Check(NativeMethods.atg_dist_barrier(Raw));

    /// <summary>Sets a key of the rendezvous store (visible to every rank).</summary>
    public void StoreSet(string key, string value) => NativeError.Check(NativeMethods.atg_dist_store_set(Raw, key, value));

    /// <summary>A key of the rendezvous store, or null when no rank has set it.</summary>
    public string? StoreGet(string key)
    {
        IntPtr p = NativeMethods.atg_dist_store_get(Raw, key);
        return p == IntPtr.Zero ? NativeError.Take() is { } e ? throw new TorchException(e) : null : NativeError.TakeString(p);
    }

    private static IntPtr[] Handles(IReadOnlyList<Tensor> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        var raw = new IntPtr[tensors.Count];
        for (int i = 0; i < raw.Length; i++) raw[i] = tensors[i].RawHandle;
        return raw;
    }

    public void Dispose()
    {
        if (handle == IntPtr.Zero) return;
        NativeMethods.atg_dist_free(handle);
        handle = IntPtr.Zero;
    }
}
