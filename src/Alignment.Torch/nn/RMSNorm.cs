namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>
        /// Root-mean-square normalization over the last dimension, as Hugging Face's LlamaRMSNorm:
        /// weight · (x / √(mean(x²) + eps)), computed in float32 and cast back to the input dtype before the weight
        /// multiplies. The parameter is named "weight" (initialized to ones).
        /// </summary>
        public class RMSNorm : Module<Tensor, Tensor>
        {
            /// <param name="dim">Size of the normalized (last) dimension.</param>
            /// <param name="eps">Added to the mean square before the root (default 1e-6, HF's rms_norm_eps default).</param>
            /// <param name="dtype">Parameter dtype (default float32).</param>
            /// <param name="device">Parameter device (default CPU).</param>
            public RMSNorm(long dim, double eps = 1e-6, ScalarType dtype = float32, Device? device = null)
            {
                if (dim <= 0) throw new TorchException($"RMSNorm needs a positive dimension, got {dim}");
                if (!(eps >= 0)) throw new TorchException($"RMSNorm eps must be non-negative, got {eps}");
                this.dim = dim;
                this.eps = eps;
                register_parameter("weight", Parameter.Create(new[] { dim }, dtype, device, t => t.fill_(1)));
            }

            /// <summary>Size of the normalized (last) dimension.</summary>
            public long dim { get; }

            /// <summary>Added to the mean square before the root.</summary>
            public double eps { get; }

            /// <summary>The (dim) scale.</summary>
            public Parameter weight => own_parameter("weight");

            /// <summary>x (..., dim) → same shape; same dtype as x when the weight has x's dtype (HF's type promotion otherwise).</summary>
            public override Tensor forward(Tensor input)
            {
                return functional.rms_norm(input, weight, eps);
            }
        }
    }
}
