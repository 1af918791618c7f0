using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.Losses;

/// <summary>
/// Per-sequence log-probabilities of the labelled tokens: logits (B, T, V) predict the next token, so position t's
/// logits score labels[t+1]. Returns the sum over labelled tokens (B) and their count (B) — sums for DPO-style
/// losses, sum/count for length-averaged ones (IPO, SimPO, ORPO).
/// </summary>
public static class SequenceLogps
{
    public const long IgnoreIndex = -100;

    public static (Tensor sum, Tensor count) Compute(Tensor logits, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var targets = NextTokenTargets(labels);                                                   // (B, T)
        var tokenLogps = nn.functional.logprobs_of(logits, targets, IgnoreIndex);                // (B, T), 0 where ignored
        var mask = targets.ne(IgnoreIndex).to(tokenLogps.dtype);
        var sum = tokenLogps.sum(1);
        var count = mask.sum(1);
        return (sum.MoveToOuterScope(), count.MoveToOuterScope());
    }

    /// <summary>
    /// The label each position's logits predict: labels shifted left by one, −100 at the last position (B, T). Scoring
    /// the whole logits tensor against these avoids slicing the logits (a strided copy forward, a zero-filled full-size
    /// gradient backward); the last position simply contributes nothing.
    /// </summary>
    public static Tensor NextTokenTargets(Tensor labels)
    {
        using var scope = NewDisposeScope();
        long b = labels.size(0), t = labels.size(1);
        var last = full(new[] { b, 1L }, IgnoreIndex, labels.dtype, labels.device);
        return cat(new[] { labels.narrow(1, 1, t - 1), last }, 1).MoveToOuterScope();
    }
}
