namespace Alignment.Torch;

public static partial class torch
{
    public static partial class nn
    {
        /// <summary>A lookup table: row i of "weight" (num_embeddings, embedding_dim) is the vector of token i.</summary>
        public class Embedding : Module<Tensor, Tensor>
        {
            /// <summary>Creates the table with PyTorch's default initialization, N(0, 1), and the padding row zeroed.</summary>
            /// <param name="num_embeddings">Number of rows (vocabulary size).</param>
            /// <param name="embedding_dim">Size of each vector.</param>
            /// <param name="padding_idx">A row that is initialized to zero and gets no gradient (default none); negative
            /// values count from the end, as in PyTorch.</param>
            /// <param name="dtype">Parameter dtype (default float32); values are drawn in float32 and cast.</param>
            /// <param name="device">Parameter device (default CPU).</param>
            /// <param name="generator">Random generator for the initialization (default: libtorch's default generator).</param>
            public Embedding(long num_embeddings, long embedding_dim, long? padding_idx = null, ScalarType dtype = float32,
                             Device? device = null, Generator? generator = null)
            {
                if (num_embeddings <= 0 || embedding_dim <= 0)
                    throw new TorchException($"Embedding needs positive sizes, got num_embeddings={num_embeddings}, embedding_dim={embedding_dim}");
                if (padding_idx is long pi)
                {
                    if (pi >= num_embeddings || pi < -num_embeddings)
                        throw new TorchException($"padding_idx {pi} is outside the {num_embeddings} embeddings");
                    padding_idx = pi < 0 ? pi + num_embeddings : pi;
                }
                this.num_embeddings = num_embeddings;
                this.embedding_dim = embedding_dim;
                this.padding_idx = padding_idx;
                register_parameter("weight", Parameter.Create(new[] { num_embeddings, embedding_dim }, dtype, device, t =>
                {
                    t.normal_(0, 1, generator);
                    if (padding_idx is long row)
                    {
                        using var r = t.select(0, row);
                        r.zero_();
                    }
                }));
            }

            /// <summary>Number of rows (vocabulary size).</summary>
            public long num_embeddings { get; }

            /// <summary>Size of each vector.</summary>
            public long embedding_dim { get; }

            /// <summary>The padding row (normalized to be non-negative), or null.</summary>
            public long? padding_idx { get; }

            /// <summary>The (num_embeddings, embedding_dim) table.</summary>
            public Parameter weight => own_parameter("weight");

            /// <summary>Integer indices of any shape → (..., embedding_dim).</summary>
            public override Tensor forward(Tensor input) => functional.embedding(input, weight, padding_idx ?? -1);
        }
    }
}
