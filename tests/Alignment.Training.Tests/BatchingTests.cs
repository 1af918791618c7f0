using Alignment.Training.Batching;
using Alignment.Training.Checkpoints;

namespace Alignment.Training.Tests;

public class BatchingTests
{
    [Fact]
    public void SplitMix64_matches_the_reference_sequence()
    {
        // Reference outputs of SplitMix64 seeded with 0 (Vigna's splitmix64.c; also the Java SplittableRandom test vector).
        var rng = new SplitMix64(0);
        Assert.Equal(0xE220A8397B1DCDAFUL, rng.Next());
        Assert.Equal(0x6E789E6AA1B965F4UL, rng.Next());
        Assert.Equal(0x06C45D188009454FUL, rng.Next());
    }

    [Fact]
    public void Every_example_appears_once_per_epoch_and_plans_repeat()
    {
        var lengths = Enumerable.Range(0, 103).Select(i => 5 + (i * 37) % 90).ToArray();
        var s = new LengthBucketSampler(lengths, batchSize: 8, seed: 42, windowBatches: 4);
        var e0 = s.Epoch(0);
        Assert.Equal(13, e0.Count);
        Assert.Equal(13, s.BatchesPerEpoch);
        Assert.Equal(Enumerable.Range(0, 103), e0.SelectMany(b => b).OrderBy(i => i));
        Assert.Equal(e0, new LengthBucketSampler(lengths, 8, 42, 4).Epoch(0));
        Assert.NotEqual(e0.Select(b => b[0]), s.Epoch(1).Select(b => b[0]));
        Assert.Equal(12, new LengthBucketSampler(lengths, 8, 42, 4, dropLast: true).Epoch(0).Count);
    }

    [Fact]
    public void Bucketing_cuts_padding_compared_to_random_batches()
    {
        var rng = new SplitMix64(7);
        var lengths = Enumerable.Range(0, 2000).Select(_ => 10 + rng.NextInt(200)).ToArray();
        double bucketed = new LengthBucketSampler(lengths, 16, 1, windowBatches: 50).PaddingFraction();
        double random = new LengthBucketSampler(lengths, 16, 1, windowBatches: 1).PaddingFraction();
        Assert.True(bucketed < 0.10, $"bucketed padding {bucketed:P1}");
        Assert.True(random > 0.30, $"random padding {random:P1}");   // uniform lengths in [10, 210): ~40% padding
    }

    [Fact]
    public void Atomic_directory_replaces_whole_or_not_at_all()
    {
        string root = Directory.CreateTempSubdirectory("align-atomic-").FullName;
        try
        {
            string target = Path.Combine(root, "step-10");
            AtomicDirectory.Write(target, d => File.WriteAllText(Path.Combine(d, "a.txt"), "v1"));
            Assert.Equal("v1", File.ReadAllText(Path.Combine(target, "a.txt")));
            Assert.Throws<InvalidOperationException>(() => AtomicDirectory.Write(target, d =>
            {
                File.WriteAllText(Path.Combine(d, "a.txt"), "half");
                throw new InvalidOperationException("disk full");
            }));
            Assert.Equal("v1", File.ReadAllText(Path.Combine(target, "a.txt")));
            AtomicDirectory.Write(target, d => File.WriteAllText(Path.Combine(d, "b.txt"), "v2"));
            Assert.False(File.Exists(Path.Combine(target, "a.txt")));
            Assert.Equal(new[] { "step-10" }, Directory.GetDirectories(root).Select(Path.GetFileName).ToArray());
        }
        finally
        {
            Directory.Delete(root, true);
        }
    }
}
