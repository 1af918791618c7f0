using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/distributed.cpp.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial int atg_dist_has_nccl();

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr atg_dist_init(string backend, string host, int port, int rank, int worldSize, long timeoutMs);

    [LibraryImport(Lib)] internal static partial void atg_dist_free(IntPtr group);
    [LibraryImport(Lib)] internal static partial int atg_dist_allreduce(IntPtr group, IntPtr* tensors, int n, int op);
    [LibraryImport(Lib)] internal static partial int atg_dist_broadcast(IntPtr group, IntPtr* tensors, int n, int root);
    [LibraryImport(Lib)] internal static partial int atg_dist_barrier(IntPtr group);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int atg_dist_store_set(IntPtr group, string key, string value);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr atg_dist_store_get(IntPtr group, string key);

    [LibraryImport(Lib)]
    internal static partial IntPtr atg_ddp_new(IntPtr group, IntPtr* parameters, int n, long bucketBytes, long firstBucketBytes, int findUnused, int average);

    [LibraryImport(Lib)] internal static partial void atg_ddp_free(IntPtr ddp);
    [LibraryImport(Lib)] internal static partial int atg_ddp_prepare_for_backward(IntPtr ddp, IntPtr* outputs, int n);
    [LibraryImport(Lib)] internal static partial int atg_ddp_buckets(IntPtr ddp, long* sizes, int cap);
}
