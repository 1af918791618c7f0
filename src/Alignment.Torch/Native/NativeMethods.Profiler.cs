using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/profiler.cpp.
internal static partial class NativeMethods
{
    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)] internal static partial IntPtr atg_profiler_start(string path);
    [LibraryImport(Lib)] internal static partial int atg_profiler_stop(IntPtr recording);
}
