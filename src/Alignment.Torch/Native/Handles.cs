using System.Runtime.InteropServices;

namespace Alignment.Torch.Native;

/// <summary>Owns one native at::Tensor handle. Freed by Dispose (normally through a dispose scope);
/// the finalizer is only a backstop, never the plan.</summary>
internal sealed class TensorHandle : SafeHandle
{
    public TensorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal TensorHandle(IntPtr raw) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(raw);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.atg_tensor_free(handle);
        return true;
    }
}

/// <summary>Owns one native random generator.</summary>
internal sealed class GeneratorHandle : SafeHandle
{
    public GeneratorHandle() : base(IntPtr.Zero, ownsHandle: true) { }

    internal GeneratorHandle(IntPtr raw) : base(IntPtr.Zero, ownsHandle: true) => SetHandle(raw);

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override bool ReleaseHandle()
    {
        NativeMethods.atg_generator_free(handle);
        return true;
    }
}
