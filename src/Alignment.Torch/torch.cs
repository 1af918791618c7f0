using System.Runtime.InteropServices;
using Alignment.Torch.Native;

namespace Alignment.Torch;

/// <summary>The torch namespace: tensor creation, joining, grad mode, seeds and runtime facts (names as in PyTorch/TorchSharp).</summary>
public static partial class torch
{
    public const ScalarType uint8 = ScalarType.Byte;
    public const ScalarType int8 = ScalarType.Int8;
    public const ScalarType int16 = ScalarType.Int16;
    public const ScalarType int32 = ScalarType.Int32;
    public const ScalarType int64 = ScalarType.Int64;
    public const ScalarType float16 = ScalarType.Float16;
    public const ScalarType bfloat16 = ScalarType.BFloat16;
    public const ScalarType float32 = ScalarType.Float32;
    public const ScalarType float64 = ScalarType.Float64;
    public const ScalarType @bool = ScalarType.Bool;

    public static readonly Device CPU = Device.CPU;
    public static readonly Device CUDA = Device.CUDA;

    /// <summary>Opens a scope that disposes every tensor created on this thread until it ends.</summary>
    public static DisposeScope NewDisposeScope() => new();

    /// <summary>Tensors alive in the native library (created and not yet freed), whatever created them.</summary>
    public static long native_live_tensors() => NativeMethods.atg_runtime_live_tensors();

    /// <summary>libtorch's version string (e.g. "1.13.0").</summary>
    public static string version => NativeError.TakeString(NativeMethods.atg_runtime_version());

    /// <summary>OMP_WAIT_POLICY as libtorch's OpenMP runtime read it at load: PASSIVE unless the user set it (see ThreadingEnvironment).</summary>
    public static string? omp_wait_policy
    {
        get
        {
            _ = NativeMethods.atg_runtime_live_tensors();   // loads the native library (which applies our default) if nothing has yet
            return ThreadingEnvironment.NativeGet(ThreadingEnvironment.WaitPolicyVariable);
        }
    }

    /// <summary>True when the native library keeps big blocks in malloc's heap (native/allocator.cpp); false with ALIGN_MALLOC=system or off glibc.</summary>
    public static bool malloc_tuned => NativeMethods.atg_runtime_malloc_tuned() == 1;

    /// <summary>Hands malloc's free pages back to the system (glibc malloc_trim, native/allocator.cpp): for after a one-time
    /// phase that freed far more than what follows will reuse, e.g. quantizing a model weight by weight. True when
    /// memory was released.</summary>
    public static bool trim_heap() => NativeMethods.atg_runtime_trim_heap() == 1;

    /// <summary>Until disposed, blocks of 1 MiB and more are mapped on their own and unmapped when freed, instead of
    /// kept in malloc's heap (native/allocator.cpp): for a one-time phase that draws big blocks, frees them and keeps
    /// smaller ones in between (quantizing a model weight by weight), which would otherwise leave the heap full of
    /// holes that training then touches piecemeal. Nothing changes where the heap is not tuned.</summary>
    public static IDisposable map_large_blocks()
    {
        NativeMethods.atg_runtime_map_large_blocks(1);
        return new LargeBlocksScope();
    }

    private sealed class LargeBlocksScope : IDisposable
    {
        private int disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) NativeMethods.atg_runtime_map_large_blocks(0);
        }
    }

    /// <summary>libtorch's intra-op thread count (Debian's libtorch starts at 1).</summary>
    public static int get_num_threads() => NativeError.Check(NativeMethods.atg_runtime_get_num_threads());

    /// <summary>Sets libtorch's intra-op threads and, when OpenBLAS is the BLAS in use, OpenBLAS's pool too (so matmul obeys it).</summary>
    public static void set_num_threads(int threads)
    {
        if (threads < 1) throw new TorchException($"thread count must be at least 1, got {threads}");
        NativeError.Check(NativeMethods.atg_runtime_set_num_threads(threads));
    }

    /// <summary>Seeds libtorch's default CPU generator (used by dropout and random ops without an explicit generator).</summary>
    public static void manual_seed(ulong seed) => NativeError.Check(NativeMethods.atg_runtime_manual_seed(seed));

    /// <summary>The default CPU generator (its state is part of an exact-resume checkpoint).</summary>
    public static Generator default_generator => Generator.Default();

    public static bool is_grad_enabled() => NativeError.Check(NativeMethods.atg_runtime_grad_enabled()) != 0;

    /// <summary>Disables gradient recording on this thread until disposed: <c>using (torch.no_grad()) { ... }</c></summary>
    public static IDisposable no_grad() => new GradModeScope(false);

    /// <summary>Enables gradient recording on this thread until disposed.</summary>
    public static IDisposable enable_grad() => new GradModeScope(true);

    private sealed class GradModeScope : IDisposable
    {
        private readonly bool previous;
        private bool disposed;

        public GradModeScope(bool enabled)
        {
            previous = is_grad_enabled();
            NativeError.Check(NativeMethods.atg_runtime_set_grad_enabled(enabled ? 1 : 0));
        }

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            NativeError.Check(NativeMethods.atg_runtime_set_grad_enabled(previous ? 1 : 0));
        }
    }

    public static class cuda
    {
        /// <summary>True when the linked libtorch was built with CUDA and a GPU is visible.</summary>
        public static bool is_available() => NativeError.Check(NativeMethods.atg_runtime_cuda_is_available()) != 0;

        public static int device_count() => NativeError.Check(NativeMethods.atg_runtime_cuda_device_count());

        /// <summary>True when the linked libtorch has CUDA compiled in (a GPU may still be absent).</summary>
        public static bool is_built() => NativeError.Check(NativeMethods.atg_runtime_has_cuda_build()) != 0;

        /// <summary>Waits for queued GPU work (no-op on CPU-only builds).</summary>
        public static void synchronize() => NativeError.Check(NativeMethods.atg_runtime_cuda_synchronize());
    }

    // ---- joining and selection ----

    public static Tensor cat(IReadOnlyList<Tensor> tensors, long dim = 0) => Tensor.Join(tensors, dim, stack: false);

    public static Tensor stack(IReadOnlyList<Tensor> tensors, long dim = 0) => Tensor.Join(tensors, dim, stack: true);

    /// <summary>Elementwise choice: a where condition is true, else b.</summary>
    public static Tensor where(Tensor condition, Tensor a, Tensor b) =>
        Tensor.Wrap(NativeMethods.atg_tensor_where(condition.Handle, a.Handle, b.Handle));

    public static Tensor matmul(Tensor a, Tensor b) => a.matmul(b);
    public static Tensor bmm(Tensor a, Tensor b) => a.bmm(b);
    public static Tensor tril(Tensor t, long diagonal = 0) => t.tril(diagonal);
    public static Tensor triu(Tensor t, long diagonal = 0) => t.triu(diagonal);
    public static Tensor exp(Tensor t) => t.exp();
    public static Tensor log(Tensor t) => t.log();
    public static Tensor sigmoid(Tensor t) => t.sigmoid();
    public static Tensor tanh(Tensor t) => t.tanh();
    public static Tensor maximum(Tensor a, Tensor b) => a.maximum(b);
    public static Tensor minimum(Tensor a, Tensor b) => a.minimum(b);
    public static Tensor clamp(Tensor t, double? min = null, double? max = null) => t.clamp(min, max);
}
