using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.Losses;

/// <summary>The DPO loss of online DPO (TRL's OnlineDPOConfig.loss_type).</summary>
public enum OnlineDpoLossType
{
    /// <summary>−log σ(β·h) (DPO).</summary>
    Sigmoid,
    /// <summary>(h − 1/(2β))² (IPO, β as τ), on summed log-ratios as TRL's online trainer computes it.</summary>
    Ipo,
}

/// <summary>
/// Online DPO's arithmetic (Guo et al. 2024, as TRL's OnlineDPOTrainer.training_step): 2B completions laid out as the
/// first sample of prompts 0..B−1, then the second sample of the same prompts. Of each pair the higher reward is chosen
/// (the first on a tie), and the DPO loss runs on the summed completion log-ratios h = (log πc − log πref,c) −
/// (log πr − log πref,r).
/// <para>Tied pairs (equal rewards) are left out of the loss: the loss is the mean over the untied pairs (0 when every
/// pair ties). TRL keeps them with the first sample as chosen, which with a discrete rule reward (both right, both wrong)
/// trains on an arbitrary preference for most pairs. The logged metrics cover every pair, as TRL's.</para>
/// <para>Sums run over the completion tokens (the mask, EOS included); TRL also sums the padding after an early EOS into
/// objective/kl and objective/entropy, which is left out here.</para>
/// </summary>
public static class OnlineDpoMath
{
    /// <summary>The loss (a scalar with gradient) and TRL's metrics of one step.</summary>
    public sealed record Result(Tensor Loss, IReadOnlyList<KeyValuePair<string, double>> Metrics);

    /// <summary>Which sample of pair i is chosen: true when the first (rᵢ ≥ rᵢ₊B), and whether the pair ties.</summary>
    public static (bool[] firstChosen, bool[] tied) Rank(IReadOnlyList<double> rewards)
    {
        if (rewards.Count % 2 != 0 || rewards.Count == 0) throw new ArgumentException($"online DPO needs two rewards per prompt, got {rewards.Count}");
        int b = rewards.Count / 2;
        return (Enumerable.Range(0, b).Select(i => rewards[i] >= rewards[i + b]).ToArray(),
                Enumerable.Range(0, b).Select(i => rewards[i] == rewards[i + b]).ToArray());
    }

    /// <param name="logps">(2B, T) policy log-probs of the completion tokens (with gradient).</param>
    /// <param name="refLogps">(2B, T) the reference's.</param>
    /// <param name="mask">(2B, T) 1 on completion tokens.</param>
    /// <param name="rewards">2B rewards (after any missing-EOS penalty).</param>
    /// <param name="untiedPairs">The loss's normalizer: the untied pairs of the whole batch when these 2B completions are
    /// one data-parallel rank's share of it (so the ranks' losses add up to the batch's mean); null = these pairs'.</param>
    public static Result Compute(Tensor logps, Tensor refLogps, Tensor mask, IReadOnlyList<double> rewards, double beta, OnlineDpoLossType type,
                                 int? untiedPairs = null)
    {
        var (firstChosen, tied) = Rank(rewards);
        int b = firstChosen.Length;
        using var scope = NewDisposeScope();
        var chosenIndex = tensor(Enumerable.Range(0, b).Select(i => (long)(firstChosen[i] ? i : i + b)).ToArray());
        var rejectedIndex = tensor(Enumerable.Range(0, b).Select(i => (long)(firstChosen[i] ? i + b : i)).ToArray());
        var sums = (logps * mask).sum(1);
        var refSums = (refLogps * mask).sum(1);
        var chosen = sums.index_select(0, chosenIndex);
        var rejected = sums.index_select(0, rejectedIndex);
        var refChosen = refSums.index_select(0, chosenIndex);
        var refRejected = refSums.index_select(0, rejectedIndex);
        var h = DpoLoss.LogRatioMargin(chosen, rejected, refChosen, refRejected);
        var losses = type == OnlineDpoLossType.Sigmoid ? DpoLoss.Sigmoid(h, beta) : DpoLoss.Ipo(h, beta);
        var weights = tensor(tied.Select(t => t ? 0f : 1f).ToArray()).to(losses.dtype);
        int untied = untiedPairs ?? tied.Count(t => !t);
        var loss = (losses * weights).sum() / Math.Max(untied, 1);

        var metrics = new List<KeyValuePair<string, double>>();
        using (no_grad())
        {
            double Mean(Tensor x) => x.detach().to(float64).mean().item<double>();
            var kl = ((logps.detach() - refLogps) * mask).sum(1);
            double meanKl = Mean(kl), scores = rewards.Average();
            var chosenRewards = (chosen.detach() - refChosen) * beta;
            var rejectedRewards = (rejected.detach() - refRejected) * beta;
            var margins = chosenRewards - rejectedRewards;
            metrics.AddRange(new KeyValuePair<string, double>[]
            {
                new("objective/kl", meanKl),
                new("objective/entropy", -Mean(sums)),
                new("objective/non_score_reward", -beta * meanKl),
                new("objective/rlhf_reward", scores - beta * meanKl),
                new("objective/scores", scores),
                new("objective/scores_margin", Enumerable.Range(0, b).Average(i => Math.Abs(rewards[i] - rewards[i + b]))),
                new("rewards/chosen", Mean(chosenRewards)),
                new("rewards/rejected", Mean(rejectedRewards)),
                new("rewards/accuracies", Mean(margins.gt(0))),
                new("rewards/margins", Mean(margins)),
                new("logps/chosen", Mean(chosen)),
                new("logps/rejected", Mean(rejected)),
                new("beta", beta),
                new("frac_tied_pairs", tied.Count(t => t) / (double)b),
            });
        }
        return new Result(loss.MoveToOuterScope(), metrics);
    }
}
