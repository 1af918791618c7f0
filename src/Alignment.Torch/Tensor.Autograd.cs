using Alignment.Torch.Native;

namespace Alignment.Torch;

// Autograd: requires_grad, backward, grad, detach.
public partial class Tensor
{
    public bool requires_grad
    {
        get => NativeError.Check(NativeMethods.atg_autograd_requires_grad(Handle)) != 0;
        set => NativeError.Check(NativeMethods.atg_autograd_set_requires_grad(Handle, value ? 1 : 0));
    }

    public Tensor requires_grad_(bool requiresGrad = true)
    {
        requires_grad = requiresGrad;
        return this;
    }

    public bool is_leaf => NativeError.Check(NativeMethods.atg_autograd_is_leaf(Handle)) != 0;

    /// <summary>Back-propagates from this tensor (a scalar, or give the gradient of the same shape).</summary>
    public void backward(Tensor? gradient = null, bool retain_graph = false, bool create_graph = false)
    {
        NativeError.Check(NativeMethods.atg_autograd_backward(Handle, gradient?.RawHandle ?? IntPtr.Zero, retain_graph ? 1 : 0, create_graph ? 1 : 0));
        GC.KeepAlive(gradient);
    }

    /// <summary>The accumulated gradient (a new handle to it), or null when none was computed.
    /// Setting it replaces the gradient; setting null removes it (set_to_none).</summary>
    public Tensor? grad
    {
        get => WrapNullable(NativeMethods.atg_autograd_grad(Handle));
        set
        {
            NativeError.Check(NativeMethods.atg_autograd_set_grad(Handle, value?.RawHandle ?? IntPtr.Zero));
            GC.KeepAlive(value);
        }
    }

    /// <summary>A tensor sharing storage with this one but outside the autograd graph.</summary>
    public Tensor detach() => Wrap(NativeMethods.atg_autograd_detach(Handle));

    /// <summary>Keeps the gradient of a non-leaf tensor after backward.</summary>
    public Tensor retain_grad()
    {
        NativeError.Check(NativeMethods.atg_autograd_retain_grad(Handle));
        return this;
    }

    /// <summary>Name of the autograd node that produced this tensor ("" for leaves).</summary>
    public string grad_fn_name => NativeError.TakeString(NativeMethods.atg_autograd_grad_fn_name(Handle));
}
