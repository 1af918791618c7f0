using Alignment.Torch.Native;

namespace Alignment.Torch;

/// <summary>A seeded random generator (libtorch's CPU generator; random tensors for other devices are drawn on
/// the CPU and moved, so one seed gives the same numbers everywhere). Its state can be saved and restored for
/// exact resume.</summary>
public sealed class Generator : IDisposable
{
    internal readonly GeneratorHandle handle;

    public Generator(ulong seed = 0) => handle = new GeneratorHandle(NativeError.Check(NativeMethods.atg_generator_new(seed)));

    private Generator(GeneratorHandle h) => handle = h;

    /// <summary>libtorch's default CPU generator (used when no generator is given).</summary>
    internal static Generator Default() => new(new GeneratorHandle(NativeError.Check(NativeMethods.atg_generator_default())));

    public Generator manual_seed(ulong seed)
    {
        NativeError.Check(NativeMethods.atg_generator_manual_seed(handle, seed));
        return this;
    }

    public ulong initial_seed()
    {
        NativeError.Check(NativeMethods.atg_generator_initial_seed(handle, out ulong seed));
        return seed;
    }

    /// <summary>The full generator state as a uint8 tensor.</summary>
    public Tensor get_state() => new(NativeError.Check(NativeMethods.atg_generator_get_state(handle)));

    public void set_state(Tensor state) => NativeError.Check(NativeMethods.atg_generator_set_state(handle, state.Handle));

    internal IntPtr Raw => handle.DangerousGetHandle();

    public void Dispose() => handle.Dispose();
}
