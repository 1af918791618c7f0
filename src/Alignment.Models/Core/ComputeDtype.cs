using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Models.Core;

/// <summary>Which compute dtypes work where. float32, bfloat16 (and float64) run everywhere; float16 needs half-precision
/// matmul kernels, which CPU builds of older libtorch (Debian's 1.13) lack, so on the CPU it is probed once and refused
/// with a clear message rather than failing inside the first layer.</summary>
public static class ComputeDtype
{
    private static bool? cpuHalfMatmul;

    /// <exception cref="ModelException">A non-float dtype, or float16 on a CPU without half-precision matmul.</exception>
    public static void Check(ScalarType dtype, Device? device)
    {
        if (!dtype.IsFloatingPoint())
            throw new ModelException($"compute dtype must be float32, bfloat16 or float16 (or float64), got {dtype.TorchName()}");
        if (dtype == ScalarType.Float16 && (device ?? Device.CPU).type == DeviceType.CPU && !CpuHalfMatmul())
            throw new ModelException($"float16 compute on the CPU needs half-precision matmul, which this libtorch ({torch.version}) does not " +
                                     "have; use bfloat16 or float32 on the CPU, or float16 on a GPU (float16 weights on disk load into any dtype)");
    }

    private static bool CpuHalfMatmul()
    {
        if (cpuHalfMatmul is bool known) return known;
        try
        {
            using var scope = NewDisposeScope();
            var a = ones(new long[] { 2, 2 }, ScalarType.Float16);
            a.matmul(a);
            cpuHalfMatmul = true;
        }
        catch (TorchException)
        {
            cpuHalfMatmul = false;
        }
        return cpuHalfMatmul.Value;
    }
}
