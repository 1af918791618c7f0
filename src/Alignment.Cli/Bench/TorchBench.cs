using System.Diagnostics;
using Alignment.Torch;
using static Alignment.Torch.torch;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Cli.Bench;

/// <summary>Per-call cost of one small operation through the bridge (C# call, native op, tensor free).</summary>
/// <param name="Name">Short key, e.g. "add".</param>
/// <param name="What">What one call does.</param>
/// <param name="MedianMicroseconds">Median over batches of (batch time / calls).</param>
/// <param name="BestMicroseconds">Fastest batch's per-call time.</param>
public sealed record OpCost(string Name, string What, double MedianMicroseconds, double BestMicroseconds, int CallsPerBatch, int Batches);

/// <summary>fp32 matmul throughput of (n×n)·(n×n), counting 2·n³ floating-point operations per product.</summary>
/// <param name="MedianSeconds">Median time of one product over the timed iterations.</param>
public sealed record MatmulThroughput(int Size, string Device, int Iterations, double MedianSeconds, double Gflops, double BestGflops);

/// <summary>
/// The measurements behind `align doctor` and `align bench torch`, written once.
/// Every timed region runs after a warm-up, and results are medians, so a busy neighbour core shifts the
/// numbers less than a mean would. Nothing here judges the numbers; callers print them.
/// </summary>
public static class TorchBench
{
    public const int DefaultCallsPerBatch = 10_000;
    public const int DefaultBatches = 7;
    public static readonly int[] DefaultMatmulSizes = [256, 512, 1024, 2048];

    /// <summary>
    /// The headline bridge overhead: add of two 1-element tensors, the result registered in a dispose scope and
    /// freed when the batch's scope closes (what every small op in a training step pays).
    /// </summary>
    public static OpCost AddOverhead(int callsPerBatch = DefaultCallsPerBatch, int batches = DefaultBatches)
    {
        using var inputs = NewDisposeScope();
        var a = ones(1);
        var b = ones(1);
        return MeasureCalls("add", "a + b, 1-element fp32 tensors", () => a.add(b), callsPerBatch, batches);
    }

    /// <summary>Per-call cost of a set of small ops, each measured like <see cref="AddOverhead"/>.</summary>
    public static IReadOnlyList<OpCost> OpOverheads(int callsPerBatch = DefaultCallsPerBatch, int batches = DefaultBatches, Action<string>? progress = null)
    {
        using var inputs = NewDisposeScope();
        var a = ones(1);
        var b = ones(1);
        var m = randn(8, 8);
        var v = randn(16);
        var logits = randn(4, 10);
        var targets = tensor(new long[] { 1, 3, 5, 7 });
        var scalar = v.sum();

        var ops = new (string Name, string What, Action Call)[]
        {
            ("add", "a + b, 1-element fp32 tensors", () => a.add(b)),
            ("matmul_8", "(8×8)·(8×8) fp32 matmul", () => m.matmul(m)),
            ("sum", "sum of 16 elements", () => v.sum()),
            ("view", "view 16 elements as 4×4", () => v.view(4, 4)),
            ("cross_entropy", "cross-entropy, 4×10 logits", () => F.cross_entropy(logits, targets)),
            ("item", "scalar back to C# (.item())", () => scalar.item<float>()),
            ("scope_round_trip", "scope open, one add, close", () => { using (NewDisposeScope()) a.add(b); }),
        };

        var results = new List<OpCost>(ops.Length);
        foreach (var (name, what, call) in ops)
        {
            progress?.Invoke(name);
            results.Add(MeasureCalls(name, what, call, callsPerBatch, batches));
        }
        return results;
    }

    /// <summary>
    /// Times <paramref name="call"/> in <paramref name="batches"/> batches of <paramref name="callsPerBatch"/> calls,
    /// each batch inside its own dispose scope whose closing (freeing the results) is part of the batch time.
    /// </summary>
    public static OpCost MeasureCalls(string name, string what, Action call, int callsPerBatch, int batches)
    {
        if (callsPerBatch < 1) throw new ArgumentOutOfRangeException(nameof(callsPerBatch), "need at least one call per batch");
        if (batches < 1) throw new ArgumentOutOfRangeException(nameof(batches), "need at least one batch");

        RunBatch(call, Math.Max(100, callsPerBatch / 10));   // warm-up: JIT, native caches, allocator
        var perCall = new double[batches];
        for (int i = 0; i < batches; i++)
            perCall[i] = RunBatch(call, callsPerBatch) * 1e6 / callsPerBatch;
        return new OpCost(name, what, Median(perCall), perCall.Min(), callsPerBatch, batches);
    }

    private static double RunBatch(Action call, int calls)
    {
        long start = Stopwatch.GetTimestamp();
        using (NewDisposeScope())
        {
            for (int i = 0; i < calls; i++) call();
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    /// <summary>
    /// fp32 (n×n)·(n×n) throughput on <paramref name="device"/>: two warm-up products (thread pool start, BLAS
    /// buffers), then <paramref name="iterations"/> timed products, or when null as many as fit in
    /// <paramref name="budget"/> (at least 3, at most 1000). GFLOP/s = 2·n³ / median time.
    /// </summary>
    public static MatmulThroughput Matmul(int n, Device device, int? iterations = null, TimeSpan? budget = null)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), "matrix size must be at least 1");
        if (iterations is < 1) throw new ArgumentOutOfRangeException(nameof(iterations), "need at least one timed iteration");

        using var inputs = NewDisposeScope();
        using var generator = new Generator(1234);
        var a = randn(new long[] { n, n }, float32, device, generator: generator);
        var b = randn(new long[] { n, n }, float32, device, generator: generator);
        bool cuda = device.type == DeviceType.CUDA;

        double first = 0;
        for (int i = 0; i < 2; i++) first = TimeProduct(a, b, cuda);
        int count = iterations ?? (int)Math.Clamp((budget ?? TimeSpan.FromSeconds(1)).TotalSeconds / Math.Max(first, 1e-9), 3, 1000);

        var seconds = new double[count];
        for (int i = 0; i < count; i++) seconds[i] = TimeProduct(a, b, cuda);

        double flop = 2.0 * n * n * (double)n;
        double median = Median(seconds);
        return new MatmulThroughput(n, device.ToString(), count, median, flop / median / 1e9, flop / seconds.Min() / 1e9);
    }

    private static double TimeProduct(Tensor a, Tensor b, bool cuda)
    {
        long start = Stopwatch.GetTimestamp();
        using (NewDisposeScope())
        {
            a.matmul(b);
            if (cuda) torch.cuda.synchronize();
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds;
    }

    internal static double Median(IReadOnlyList<double> values)
    {
        if (values.Count == 0) throw new ArgumentException("median of no values", nameof(values));
        var sorted = values.Order().ToArray();
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }
}
