using Alignment.Torch.Native;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// A tensor that a <see cref="Module"/> owns and an optimizer updates: a leaf of the autograd graph that
        /// requires a gradient by default. It is never part of a dispose scope; the module that registers it frees it
        /// in <see cref="Module.Dispose()"/> (or dispose it yourself when no module owns it).
        /// </summary>
        public sealed class Parameter : Tensor
        {
            /// <summary>
            /// Turns <paramref name="data"/> into a parameter. The parameter takes over the data's storage and
            /// <paramref name="data"/> is disposed, so it must not be used afterwards (as TorchSharp's Parameter does).
            /// The parameter is a leaf (detached from whatever graph produced <paramref name="data"/>).
            /// </summary>
            /// <param name="data">The initial value; consumed.</param>
            /// <param name="requires_grad">Whether the parameter records gradients (default true; false freezes it).</param>
            public Parameter(Tensor data, bool requires_grad = true) : base(DetachedHandle(data))
            {
                DetachFromDisposeScope();
                try
                {
                    this.requires_grad = requires_grad;
                }
                catch
                {
                    Dispose();
                    throw;
                }
                data.Dispose();
            }

            /// <summary>A new parameter of the given shape, initialized in float32 on the CPU by <paramref name="init"/>
            /// (so a seeded generator gives the same values for every dtype and device), then cast and moved.</summary>
            internal static Parameter Create(long[] shape, ScalarType dtype, Device? device, Action<Tensor> init)
            {
                var t = empty(shape, float32);
                try
                {
                    init(t);
                    var target = device ?? CPU;
                    if (dtype != float32 || target != CPU)
                    {
                        var converted = t.to(dtype, target);
                        t.Dispose();
                        t = converted;
                    }
                    return new Parameter(t);
                }
                catch
                {
                    t.Dispose();
                    throw;
                }
            }

            // A second native handle to the same storage, outside the autograd graph of the source.
            private static IntPtr DetachedHandle(Tensor data)
            {
                ArgumentNullException.ThrowIfNull(data);
                return NativeError.Check(NativeMethods.atg_autograd_detach(data.Handle));
            }
        }
    }
}
