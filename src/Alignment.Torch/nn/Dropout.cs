namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>In training mode zeroes each element with probability p and scales the others by 1/(1-p);
        /// in evaluation mode (after eval()) returns the input unchanged. Draws from libtorch's default generator
        /// (seed it with torch.manual_seed).</summary>
        public class Dropout : Module<Tensor, Tensor>
        {
            /// <param name="p">Probability of zeroing an element, in [0, 1] (default 0.5).</param>
            public Dropout(double p = 0.5)
            {
                if (!(p >= 0 && p <= 1)) throw new TorchException($"dropout probability must be in [0, 1], got {p}");
                this.p = p;
            }

            /// <summary>Probability of zeroing an element in training mode.</summary>
            public double p { get; }

            /// <summary>x → same shape: dropped and rescaled in training mode, unchanged in evaluation mode.</summary>
            public override Tensor forward(Tensor input) => functional.dropout(input, p, training);
        }
    }
}
