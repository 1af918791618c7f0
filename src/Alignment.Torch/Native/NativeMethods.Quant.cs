using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

// P/Invoke declarations for native/quant4.cpp.
internal static partial class NativeMethods
{
    [LibraryImport(Lib)] internal static partial IntPtr atg_quant_code(int type);
    [LibraryImport(Lib)] internal static partial int atg_quantize_4bit(TensorHandle a, long blocksize, int type, out IntPtr packed, out IntPtr absmax);
    [LibraryImport(Lib)] internal static unsafe partial IntPtr atg_dequantize_4bit(TensorHandle packed, TensorHandle absmax, TensorHandle code, long blocksize, long* shape, int ndim, int dtype);
    [LibraryImport(Lib)] internal static partial int atg_quantize_blockwise(TensorHandle a, TensorHandle code, long blocksize, out IntPtr q, out IntPtr absmax);
    [LibraryImport(Lib)] internal static partial IntPtr atg_dequantize_blockwise(TensorHandle q, TensorHandle absmax, TensorHandle code, long blocksize);
    [LibraryImport(Lib)] internal static partial IntPtr atg_linear_4bit(TensorHandle x, TensorHandle packed, TensorHandle absmax, TensorHandle code, IntPtr bias,
                                                                       long outFeatures, long inFeatures, long blocksize, int flags);
    [LibraryImport(Lib)] internal static partial int atg_quantize_int8_rowwise(TensorHandle a, out IntPtr q, out IntPtr scb);
    [LibraryImport(Lib)] internal static partial IntPtr atg_dequantize_int8_rowwise(TensorHandle q, TensorHandle scb, int dtype);
    [LibraryImport(Lib)] internal static partial IntPtr atg_linear_8bit(TensorHandle x, TensorHandle q, TensorHandle scb, IntPtr bias, long out_features, long in_features, int flags);
}
