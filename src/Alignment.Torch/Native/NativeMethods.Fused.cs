using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/fused.cpp.
internal static partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial IntPtr atg_fused_rms_norm(TensorHandle x, TensorHandle weight, double eps);
    [LibraryImport(Lib)] internal static partial IntPtr atg_fused_rotary(TensorHandle x, TensorHandle cos, TensorHandle sin);
    [LibraryImport(Lib)] internal static partial IntPtr atg_fused_causal_attention(TensorHandle q, TensorHandle k, TensorHandle v, IntPtr paddingMask, double scale, int hasScale);
    [LibraryImport(Lib)] internal static partial IntPtr atg_fused_swiglu(TensorHandle a, TensorHandle b);
    [LibraryImport(Lib)] internal static partial IntPtr atg_fused_logprobs(TensorHandle logits, TensorHandle targets, long ignoreIndex);
}
