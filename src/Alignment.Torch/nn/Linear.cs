namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>y = x·Wᵀ + b, with W of shape (out_features, in_features) as in PyTorch and Hugging Face checkpoints.
        /// Parameters are named "weight" and "bias".</summary>
        public class Linear : Module<Tensor, Tensor>
        {
            /// <summary>Creates the layer with PyTorch's default initialization: W and b uniform in ±1/√in_features
            /// (kaiming_uniform_ with a = √5).</summary>
            /// <param name="in_features">Size of the last input dimension.</param>
            /// <param name="out_features">Size of the last output dimension.</param>
            /// <param name="bias">Whether to add a learned bias (default true).</param>
            /// <param name="dtype">Parameter dtype (default float32); values are drawn in float32 and cast.</param>
            /// <param name="device">Parameter device (default CPU).</param>
            /// <param name="generator">Random generator for the initialization (default: libtorch's default generator).</param>
            public Linear(long in_features, long out_features, bool bias = true, ScalarType dtype = float32, Device? device = null,
                          Generator? generator = null)
            {
                if (in_features <= 0 || out_features <= 0)
                    throw new TorchException($"Linear needs positive sizes, got in_features={in_features}, out_features={out_features}");
                this.in_features = in_features;
                this.out_features = out_features;
                double bound = 1.0 / Math.Sqrt(in_features);
                register_parameter("weight", Parameter.Create(new[] { out_features, in_features }, dtype, device,
                    t => t.uniform_(-bound, bound, generator)));
                if (bias)
                    register_parameter("bias", Parameter.Create(new[] { out_features }, dtype, device,
                        t => t.uniform_(-bound, bound, generator)));
            }

            /// <summary>Size of the last input dimension.</summary>
            public long in_features { get; }

            /// <summary>Size of the last output dimension.</summary>
            public long out_features { get; }

            /// <summary>The (out_features, in_features) weight.</summary>
            public Parameter weight => own_parameter("weight");

            /// <summary>The (out_features) bias, or null when the layer has none.</summary>
            public Parameter? bias => find_parameter("bias");

            /// <summary>x (..., in_features) → (..., out_features).</summary>
            public override Tensor forward(Tensor input) => functional.linear(input, weight, bias);
        }
    }
}
