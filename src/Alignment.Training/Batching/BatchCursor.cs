using Alignment.Training.State;

namespace Alignment.Training.Batching;

/// <summary>
/// Where an online trainer (PPO, GRPO/RLOO, online DPO) stands in its prompt batches: the epoch and the batch within it,
/// as a checkpoint stores them. <see cref="Next"/> rolls over to the next epoch's shuffled plan when the current one is
/// used up, so a run resumed from a checkpoint taken after an epoch's last batch starts the next epoch.
/// </summary>
public sealed class BatchCursor
{
    private readonly LengthBucketSampler sampler;
    private List<int[]> plan;

    /// <param name="resumed">The checkpoint's state to continue from; null = the first batch of epoch 0.</param>
    public BatchCursor(LengthBucketSampler sampler, TrainerState? resumed)
    {
        this.sampler = sampler;
        Epoch = resumed?.Epoch ?? 0;
        BatchInEpoch = resumed?.BatchInEpoch ?? 0;
        plan = sampler.Epoch(Epoch);
    }

    public int Epoch { get; private set; }

    public int BatchInEpoch { get; private set; }

    /// <summary>The indices of the batch to train on now.</summary>
    public int[] Next()
    {
        if (BatchInEpoch >= plan.Count)
        {
            Epoch++;
            BatchInEpoch = 0;
            plan = sampler.Epoch(Epoch);
        }
        return plan[BatchInEpoch];
    }

    /// <summary>Moves past the batch <see cref="Next"/> gave.</summary>
    public void Advance() => BatchInEpoch++;
}
