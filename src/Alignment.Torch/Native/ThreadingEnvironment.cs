using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

/// <summary>
/// Process environment that libtorch's OpenMP runtime reads once, when it is loaded: set before the first P/Invoke.
///
/// libtorch's intra-op pool (OpenMP) and OpenBLAS's pthread pool share the cores. With OpenMP's default ACTIVE wait
/// policy its workers spin after every parallel region while OpenBLAS's workers need those cores for the next matmul
/// (they then spin in sched_yield): on the 2-core CI machine `perf` showed a third of a training step in the two
/// pools' spin loops, and `align bench train` went from 2,530 to 4,990 SFT tokens/s with OMP_WAIT_POLICY=PASSIVE.
/// So PASSIVE is our default. A value the user set (OMP_WAIT_POLICY or GOMP_SPINCOUNT) is left as it is.
/// </summary>
internal static partial class ThreadingEnvironment
{
    public const string WaitPolicyVariable = "OMP_WAIT_POLICY";
    public const string DefaultWaitPolicy = "PASSIVE";

    /// <summary>Sets OMP_WAIT_POLICY=PASSIVE in the native environment unless the user chose a wait policy or spin count.</summary>
    public static void Apply()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS()) return;   // Windows builds of libtorch use their own runtime settings
        if (NativeGet(WaitPolicyVariable) is not null || NativeGet("GOMP_SPINCOUNT") is not null) return;
        setenv(WaitPolicyVariable, DefaultWaitPolicy, 0);   // overwrite = 0: never replaces a value set meanwhile
    }

    /// <summary>The variable as the native side (OpenMP) sees it; .NET's Environment keeps its own copy on Unix.</summary>
    public static string? NativeGet(string name)
    {
        IntPtr value = getenv(name);
        return value == IntPtr.Zero ? null : Marshal.PtrToStringUTF8(value);
    }

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int setenv(string name, string value, int overwrite);

    [LibraryImport("libc", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr getenv(string name);
}
