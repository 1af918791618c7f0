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
        long t = logits.size(1);
        var shiftedLogits = logits.narrow(1, 0, t - 1);                 // (B, T-1, V)
        var shiftedLabels = labels.narrow(1, 1, t - 1);                 // (B, T-1)
        var tokenLogps = nn.functional.logprobs_of(shiftedLogits, shiftedLabels, IgnoreIndex);   // (B, T-1), 0 where ignored
        var mask = shiftedLabels.ne(IgnoreIndex).to(tokenLogps.dtype);
        var sum = tokenLogps.sum(1);
        var count = mask.sum(1);
        return (sum.MoveToOuterScope(), count.MoveToOuterScope());
    }
}
