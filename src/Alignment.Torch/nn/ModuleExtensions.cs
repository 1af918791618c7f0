using static Alignment.Torch.torch.nn;

namespace Alignment.Torch;

/// <summary>
/// Fluent module operations that return the module's own type (<c>var lin = new Linear(4, 2).to(torch.float64);</c>),
/// as TorchSharp's extension methods do. All of them change the module in place.
/// </summary>
public static class ModuleExtensions
{
    /// <summary>Casts the floating-point parameters, buffers and gradients to <paramref name="dtype"/> in place
    /// (integer and bool buffers are left alone); the Parameter objects stay the same, so optimizers built before
    /// keep pointing at them (their state is not converted: build optimizers after converting).</summary>
    public static T to<T>(this T module, ScalarType dtype) where T : Module
    {
        module.ConvertTo(dtype);
        return module;
    }

    /// <summary>Moves every parameter, buffer and gradient to <paramref name="device"/> in place.</summary>
    public static T to<T>(this T module, Device device) where T : Module
    {
        module.MoveTo(device);
        return module;
    }

    /// <summary>Moves to a device given as "cpu", "cuda" or "cuda:N".</summary>
    public static T to<T>(this T module, string device) where T : Module => module.to(Device.Parse(device));

    /// <summary>Moves the module to the CPU in place.</summary>
    public static T cpu<T>(this T module) where T : Module => module.to(Device.CPU);

    /// <summary>Moves the module to GPU <paramref name="index"/> (default 0) in place.</summary>
    public static T cuda<T>(this T module, int index = 0) where T : Module => module.to(new Device(DeviceType.CUDA, index));

    /// <summary>Training mode (true, the default) or evaluation mode (false) for the module and all descendants;
    /// Dropout is active only in training mode.</summary>
    public static T train<T>(this T module, bool mode = true) where T : Module
    {
        module.SetTraining(mode);
        return module;
    }

    /// <summary>Evaluation mode: same as train(false).</summary>
    public static T eval<T>(this T module) where T : Module => module.train(false);

    /// <summary>Unfreezes (true, the default) or freezes (false) every parameter of the module and its descendants.
    /// Frozen parameters receive no gradient, so optimizers leave them unchanged.</summary>
    public static T requires_grad_<T>(this T module, bool requires_grad = true) where T : Module
    {
        module.SetRequiresGrad(requires_grad);
        return module;
    }
}
