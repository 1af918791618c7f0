using Alignment.Torch.Native;

namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>Loss reductions (values are libtorch's at::Reduction codes).</summary>
        public enum Reduction
        {
            None = 0,
            Mean = 1,
            Sum = 2,
        }

        /// <summary>Stateless neural-network functions (torch.nn.functional).</summary>
        public static partial class functional
        {
            public static Tensor softmax(Tensor input, long dim, ScalarType? dtype = null) =>
                Tensor.Wrap(NativeMethods.atg_nn_softmax(input.Handle, dim, dtype.HasValue ? (int)dtype.Value : -1));

            public static Tensor log_softmax(Tensor input, long dim, ScalarType? dtype = null) =>
                Tensor.Wrap(NativeMethods.atg_nn_log_softmax(input.Handle, dim, dtype.HasValue ? (int)dtype.Value : -1));

            /// <summary>Cross-entropy of logits (N, C) or (N, C, d...) against class indices; targets equal to ignore_index
            /// count neither in the loss nor in the mean's denominator.</summary>
            public static Tensor cross_entropy(Tensor input, Tensor target, Tensor? weight = null, long ignore_index = -100,
                                               Reduction reduction = Reduction.Mean, double label_smoothing = 0)
            {
                var r = NativeMethods.atg_nn_cross_entropy(input.Handle, target.Handle, weight?.RawHandle ?? IntPtr.Zero, (int)reduction, ignore_index, label_smoothing);
                GC.KeepAlive(weight);
                return Tensor.Wrap(r);
            }

            public static Tensor nll_loss(Tensor input, Tensor target, long ignore_index = -100, Reduction reduction = Reduction.Mean) =>
                Tensor.Wrap(NativeMethods.atg_nn_nll_loss(input.Handle, target.Handle, (int)reduction, ignore_index));

            public static Tensor mse_loss(Tensor input, Tensor target, Reduction reduction = Reduction.Mean) =>
                Tensor.Wrap(NativeMethods.atg_nn_mse_loss(input.Handle, target.Handle, (int)reduction));

            /// <summary>Rows of weight picked by indices; rows at padding_idx get no gradient (-1: none).</summary>
            public static Tensor embedding(Tensor indices, Tensor weight, long padding_idx = -1) =>
                Tensor.Wrap(NativeMethods.atg_nn_embedding(weight.Handle, indices.Handle, padding_idx));

            /// <summary>Zeroes elements with probability p and scales the rest by 1/(1-p) when training; identity otherwise.
            /// Draws from the default generator (seed it with torch.manual_seed).</summary>
            public static Tensor dropout(Tensor input, double p = 0.5, bool training = true)
            {
                if (p < 0 || p > 1) throw new TorchException($"dropout probability must be in [0, 1], got {p}");
                return Tensor.Wrap(NativeMethods.atg_nn_dropout(input.Handle, p, training ? 1 : 0));
            }

            /// <summary><c>linear(dropout(x, p, training: true), weight)</c>, the same values from the same draws of the
            /// default generator, for 0 &lt; p &lt; 1; backward keeps x and a one-byte mask instead of the dropped-out input
            /// and the float noise (LoRA's dropout, on every adapted layer's input).</summary>
            public static Tensor dropout_linear(Tensor x, Tensor weight, double p) =>
                Tensor.Wrap(NativeMethods.atg_dropout_linear(x.Handle, weight.Handle, p));

            /// <summary>x·Wᵀ + b with W of shape (out, in), as nn.Linear stores it.</summary>
            public static Tensor linear(Tensor input, Tensor weight, Tensor? bias = null)
            {
                var r = NativeMethods.atg_tensor_linear(input.Handle, weight.Handle, bias?.RawHandle ?? IntPtr.Zero);
                GC.KeepAlive(bias);
                return Tensor.Wrap(r);
            }

            /// <summary>The gradient path of <see cref="linear"/> without its value: zeros of the output's shape whose
            /// backward gives the gradients <see cref="linear"/>'s would (g·W for the input, gᵀ·x for a weight that
            /// requires grad, Σg for the bias). For a caller that reads only the gradient the result carries back, never
            /// its values: the last projection of a block that gradient checkpointing reruns
            /// (<see cref="Checkpointed.Recomputing"/>). A frozen weight keeps nothing of the input.</summary>
            public static Tensor linear_value_unused(Tensor input, Tensor weight, Tensor? bias = null)
            {
                var r = NativeMethods.atg_linear_value_unused(input.Handle, weight.Handle, bias?.RawHandle ?? IntPtr.Zero);
                GC.KeepAlive(bias);
                return Tensor.Wrap(r);
            }

            public static Tensor one_hot(Tensor indices, long num_classes = -1) => Tensor.Wrap(NativeMethods.atg_nn_one_hot(indices.Handle, num_classes));

            public static Tensor silu(Tensor x) => x.silu();
            public static Tensor gelu(Tensor x, string approximate = "none") => x.gelu(approximate);
            public static Tensor relu(Tensor x) => x.relu();
            public static Tensor sigmoid(Tensor x) => x.sigmoid();
            public static Tensor logsigmoid(Tensor x) => x.logsigmoid();
            public static Tensor softplus(Tensor x, double beta = 1, double threshold = 20) => x.softplus(beta, threshold);
        }
    }
}
