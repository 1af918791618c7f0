using Alignment.Torch.Native;
using static Alignment.Torch.torch.nn;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Training utilities (torch.nn.utils).</summary>
        public static class utils
        {
            /// <summary>
            /// Rescales the gradients of <paramref name="parameters"/> in place so that their global norm is at most
            /// <paramref name="max_norm"/>, as torch.nn.utils.clip_grad_norm_: the total norm is the norm of the
            /// per-parameter gradient norms (for norm_type 2, the L2 norm of all gradients concatenated), and every
            /// gradient is multiplied by min(1, max_norm / (total + 1e-6)). Parameters without a gradient are ignored.
            /// One native call.
            /// </summary>
            /// <param name="parameters">Parameters whose gradients are clipped, e.g. model.parameters().</param>
            /// <param name="max_norm">Largest allowed total norm.</param>
            /// <param name="norm_type">Order of the norm (default 2; double.PositiveInfinity for the max norm).</param>
            /// <param name="error_if_nonfinite">Throw when the total norm is NaN or infinite instead of scaling the
            /// gradients by NaN (default false, as PyTorch).</param>
            /// <returns>The total norm before clipping (log it as grad_norm); 0 when no parameter has a gradient.</returns>
            public static unsafe double clip_grad_norm_(IEnumerable<Parameter> parameters, double max_norm, double norm_type = 2,
                                                        bool error_if_nonfinite = false)
            {
                ArgumentNullException.ThrowIfNull(parameters);
                if (!(max_norm >= 0)) throw new TorchException($"max_norm must be >= 0, got {max_norm}");
                if (!(norm_type > 0)) throw new TorchException($"norm_type must be positive, got {norm_type}");
                var list = parameters as IReadOnlyList<Parameter> ?? parameters.ToList();
                var handles = new IntPtr[list.Count];
                for (int i = 0; i < handles.Length; i++) handles[i] = list[i].RawHandle;
                int rc;
                double total;
                fixed (IntPtr* p = handles)
                    rc = NativeMethods.atg_optim_clip_grad_norm_(p, handles.Length, max_norm, norm_type, error_if_nonfinite ? 1 : 0, out total);
                GC.KeepAlive(list);
                NativeError.Check(rc);
                return total;
            }
        }
    }
}
