using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/checkpoint.cpp.
internal static partial class NativeMethods
{
    [LibraryImport(Lib)]
    internal static unsafe partial IntPtr atg_checkpoint(delegate* unmanaged<long, IntPtr*, int, IntPtr*, byte*, int, int> body, long id,
                                                         IntPtr* inputs, int nInputs, IntPtr* parameters, int nParameters);

    [LibraryImport(Lib)] internal static partial int atg_checkpoint_recomputing();
}
