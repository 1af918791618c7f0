using Alignment.Torch;
using static Alignment.Torch.torch;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Generation;

/// <summary>transformers' sampling warpers, applied in its order: temperature, then top-k, then top-p. Removed tokens
/// get −∞. Each takes and returns (B, V) float32 logits.</summary>
public static class LogitsWarpers
{
    /// <summary>logits / temperature.</summary>
    public static Tensor Temperature(Tensor logits, double temperature) => temperature == 1.0 ? logits.alias() : logits.div(temperature);

    /// <summary>Keeps the k largest logits of each row (ties with the k-th kept too), as TopKLogitsWarper.</summary>
    public static Tensor TopK(Tensor logits, int k)
    {
        long v = logits.size(-1);
        if (k <= 0 || k >= v) return logits.alias();
        using var scope = NewDisposeScope();
        var kth = logits.topk(k, -1).values.narrow(-1, k - 1, 1);  // (B, 1)
        return logits.masked_fill(logits.lt(kth), double.NegativeInfinity).MoveToOuterScope();
    }

    /// <summary>Keeps the most likely tokens whose cumulative probability reaches top_p (at least one), as
    /// TopPLogitsWarper: sort ascending, drop the prefix whose cumulative probability is ≤ 1 − top_p.</summary>
    public static Tensor TopP(Tensor logits, double topP)
    {
        if (topP >= 1.0) return logits.alias();
        using var scope = NewDisposeScope();
        long v = logits.size(-1);
        var (sorted, index) = logits.sort(-1, descending: false);                   // (B, V) ascending
        var cumulative = F.softmax(sorted, -1).cumsum(-1);                           // (B, V)
        var remove = cumulative.le(1 - topP).to(ScalarType.Int64);                   // 1 = drop (sorted order)
        remove.narrow(-1, v - 1, 1).fill_(0);                                        // the most likely token stays
        var removeOriginal = zeros_like(remove).scatter(1, index, remove).ne(0);     // back to vocabulary order
        return logits.masked_fill(removeOriginal, double.NegativeInfinity).MoveToOuterScope();
    }

    /// <summary>All three, as configured.</summary>
    public static Tensor Apply(Tensor logits, GenerationOptions o)
    {
        using var scope = NewDisposeScope();
        var x = TopP(TopK(Temperature(logits, o.Temperature), o.TopK), o.TopP);
        return x.MoveToOuterScope();
    }
}
