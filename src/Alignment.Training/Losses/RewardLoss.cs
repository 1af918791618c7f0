using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.Losses;

/// <summary>Bradley–Terry reward-model loss: −log σ(rc − rr − m) + c·(rc + rr)², per pair.
/// m is the margin from label strength (0 when absent), c the centering coefficient (0 disables it).</summary>
public static class RewardLoss
{
    public static Tensor BradleyTerry(Tensor chosenRewards, Tensor rejectedRewards, Tensor? margin = null, double centeringCoefficient = 0)
    {
        using var scope = NewDisposeScope();
        var diff = chosenRewards - rejectedRewards;
        if (margin is not null) diff = diff - margin;
        var loss = -diff.logsigmoid();
        if (centeringCoefficient != 0) loss = loss + centeringCoefficient * (chosenRewards + rejectedRewards).square();
        return loss.MoveToOuterScope();
    }
}
