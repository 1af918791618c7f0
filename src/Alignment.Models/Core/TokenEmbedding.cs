using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Core;

/// <summary>The token embedding table "weight" (vocab, hidden), created uninitialized (loading fills it,
/// <see cref="ModelInit"/> draws it). As transformers' nn.Embedding(vocab, hidden, padding_idx=pad_token_id), the
/// padding row gets no gradient.</summary>
public sealed class TokenEmbedding : Module<Tensor, Tensor>
{
    public TokenEmbedding(long num_embeddings, long embedding_dim, long? padding_idx, ScalarType dtype, Device? device = null)
    {
        if (padding_idx is long p && (p < -num_embeddings || p >= num_embeddings))
            throw new ModelException($"pad_token_id {p} is outside the vocabulary of {num_embeddings} tokens");
        if (padding_idx < 0) padding_idx += num_embeddings;   // as nn.Embedding: -1 is the last row
        this.num_embeddings = num_embeddings;
        this.embedding_dim = embedding_dim;
        this.padding_idx = padding_idx;
        register_parameter("weight", new Parameter(empty(new[] { num_embeddings, embedding_dim }, dtype, device)));
    }

    public long num_embeddings { get; }
    public long embedding_dim { get; }
    public long? padding_idx { get; }
    public Parameter weight => own_parameter("weight");

    /// <summary>ids (B, T) int64 → (B, T, hidden).</summary>
    public override Tensor forward(Tensor ids) => F.embedding(ids, weight, padding_idx ?? -1);
}
