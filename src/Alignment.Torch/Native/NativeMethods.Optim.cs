using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/optim.cpp.
internal static unsafe partial class NativeMethods
{
    [LibraryImport(Lib)]
    internal static partial int atg_optim_adamw_step(IntPtr* parameters, IntPtr* expAvgs, IntPtr* expAvgSqs, long* steps, int n,
                                                     double lr, double beta1, double beta2, double eps, double weightDecay);

    [LibraryImport(Lib)]
    internal static partial int atg_optim_clip_grad_norm_(IntPtr* parameters, int n, double maxNorm, double normType, int errorIfNonfinite,
                                                          out double totalNorm);
}
