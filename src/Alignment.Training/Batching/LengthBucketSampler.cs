namespace Alignment.Training.Batching;

/// <summary>
/// Groups examples of similar length into batches so little compute goes to padding: each epoch shuffles the
/// examples (seeded by seed and epoch), cuts them into windows of <c>batchSize × windowBatches</c>, sorts each window
/// by length, slices it into batches and shuffles the batch order. The plan of an epoch depends only on
/// (lengths, batchSize, seed, epoch), so a resumed run replays the same batches from its saved position.
/// </summary>
public sealed class LengthBucketSampler
{
    private readonly int[] lengths;

    public LengthBucketSampler(IReadOnlyList<int> lengths, int batchSize, ulong seed, int windowBatches = 50, bool dropLast = false)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch_size must be at least 1");
        if (lengths.Count == 0) throw new ArgumentException("no examples to batch", nameof(lengths));
        this.lengths = lengths.ToArray();
        BatchSize = batchSize;
        Seed = seed;
        WindowBatches = Math.Max(1, windowBatches);
        DropLast = dropLast;
    }

    public int BatchSize { get; }
    public ulong Seed { get; }
    public int WindowBatches { get; }
    public bool DropLast { get; }

    /// <summary>Batches per epoch.</summary>
    public int BatchesPerEpoch => DropLast ? lengths.Length / BatchSize : (lengths.Length + BatchSize - 1) / BatchSize;

    /// <summary>The batches (example indices) of one epoch, in order.</summary>
    public List<int[]> Epoch(int epoch)
    {
        var rng = new SplitMix64(Seed * 0x100000001B3UL + (ulong)epoch + 1);
        var order = Enumerable.Range(0, lengths.Length).ToArray();
        rng.Shuffle(order);
        var batches = new List<int[]>();
        int window = BatchSize * WindowBatches;
        for (int start = 0; start < order.Length; start += window)
        {
            var slice = order.Skip(start).Take(window).OrderBy(i => lengths[i]).ThenBy(i => i).ToArray();
            for (int b = 0; b < slice.Length; b += BatchSize)
            {
                var batch = slice.Skip(b).Take(BatchSize).ToArray();
                if (batch.Length < BatchSize && DropLast) continue;
                batches.Add(batch);
            }
        }
        rng.Shuffle(batches);
        return batches;
    }

    /// <summary>Share of padding tokens when every batch is padded to its longest example, over one epoch.</summary>
    public double PaddingFraction(int epoch = 0)
    {
        long real = 0, padded = 0;
        foreach (var batch in Epoch(epoch))
        {
            int max = batch.Max(i => lengths[i]);
            foreach (int i in batch) real += lengths[i];
            padded += (long)max * batch.Length;
        }
        return padded == 0 ? 0 : 1 - (double)real / padded;
    }
}
