using Alignment.Torch;
using Alignment.Torch.Distributed;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Training.Distributed;

/// <summary>
/// A trainer's view of data parallelism: which rank this process is, its shard of a global batch, sums of scalars over
/// the ranks, and DDP's bucketed gradient allreduce over the model's trainable parameters. With one process every
/// member is the identity (no group, no communication), so a trainer has one code path.
///
/// The math: every rank divides its loss by the units of the whole global batch (not of its shard) and the gradients
/// are summed over ranks, so N processes × batch b compute what one process computes with batch N·b.
/// </summary>
public sealed class DataParallel : IDisposable
{
    private readonly ProcessGroup? group;
    private DistributedDataParallel? ddp;

    private DataParallel(ProcessGroup? group, DistributedEnvironment? environment)
    {
        this.group = group;
        Environment = environment;
    }

    /// <summary>One process.</summary>
    public static DataParallel Single() => new(null, null);

    /// <summary>Joins the group that <paramref name="environment"/> describes (all ranks must call this).</summary>
    public static DataParallel Join(DistributedEnvironment environment)
    {
        try
        {
            var g = ProcessGroup.Init(environment.Backend, environment.MasterAddr, environment.MasterPort, environment.Rank, environment.WorldSize,
                                      environment.Timeout);
            return new DataParallel(g, environment);
        }
        catch (TorchException e)
        {
            throw new TrainingException($"rank {environment.Rank} of {environment.WorldSize}: cannot join the process group at " +
                                        $"{environment.MasterAddr}:{environment.MasterPort} ({environment.Backend}): {e.Message}");
        }
    }

    /// <summary>From torchrun's variables (see <see cref="DistributedEnvironment"/>); one process when they are absent.</summary>
    public static DataParallel FromProcess() => DistributedEnvironment.FromProcess() is { } env ? Join(env) : Single();

    public DistributedEnvironment? Environment { get; }
    public int Rank => group?.Rank ?? 0;
    public int WorldSize => group?.WorldSize ?? 1;

    /// <summary>Rank 0: the one that writes metrics, checkpoints and artifacts.</summary>
    public bool IsMain => Rank == 0;
    public bool Enabled => group is not null;

    /// <summary>This rank's share of a global batch: every WorldSize-th item from position Rank (a length-sorted batch
    /// so gives every rank a similar mix of lengths). May be empty for the last, short batch of an epoch.</summary>
    public T[] Shard<T>(IReadOnlyList<T> global)
    {
        var shard = new List<T>((global.Count + WorldSize - 1) / WorldSize);
        for (int i = Rank; i < global.Count; i += WorldSize) shard.Add(global[i]);
        return shard.ToArray();
    }

    /// <summary>The element-wise sum of <paramref name="values"/> over all ranks (every rank gets it).</summary>
    public double[] Sum(params double[] values)
    {
        if (group is null || values.Length == 0) return values;
        using var scope = NewDisposeScope();
        var t = tensor(values, new long[] { values.Length });
        Collective(() => group.all_reduce(t));
        return t.data<double>().ToArray();
    }

    /// <summary>The whole batch's values from every rank's share: this rank's value k belongs at
    /// <paramref name="globalIndex"/>[k] of a batch of <paramref name="count"/>; each rank fills its places of a zero array
    /// and the arrays are summed over the ranks (one process: <paramref name="local"/> placed likewise).</summary>
    public double[] Whole(IEnumerable<double> local, IReadOnlyList<int> globalIndex, int count)
    {
        var whole = new double[count];
        int k = 0;
        foreach (double v in local) whole[globalIndex[k++]] = v;
        return Sum(whole);
    }

    /// <summary>Whether <paramref name="value"/> holds on every rank.</summary>
    public bool All(bool value) => Sum(value ? 0 : 1)[0] == 0;

    /// <summary>Every rank's string (e.g. its RNG state), indexed by rank: each rank fills its row of a zero byte table
    /// and the table is summed over the ranks.</summary>
    public string[] Gather(string value)
    {
        if (group is null) return [value];
        var bytes = System.Text.Encoding.UTF8.GetBytes(value);
        int[] lengths = Sum(Enumerable.Range(0, WorldSize).Select(r => r == Rank ? (double)bytes.Length : 0).ToArray()).Select(v => (int)v).ToArray();
        int row = Math.Max(1, lengths.Max());
        using var scope = NewDisposeScope();
        var table = new byte[WorldSize * row];
        bytes.CopyTo(table, Rank * row);
        var t = tensor(table, new long[] { table.Length }).to(int32);      // one non-zero row per rank: the sum is every row
        Collective(() => group.all_reduce(t));
        var summed = t.to(uint8).data<byte>().ToArray();
        return Enumerable.Range(0, WorldSize).Select(r => System.Text.Encoding.UTF8.GetString(summed, r * row, lengths[r])).ToArray();
    }

    /// <summary>Makes every rank's <paramref name="trainable"/> parameters rank 0's and installs DDP's Reducer over them
    /// (summing, not averaging: see the class summary). Nothing happens with one process.</summary>
    public void Attach(IReadOnlyList<Parameter> trainable)
    {
        if (group is null) return;
        if (ddp is not null) throw new InvalidOperationException("DDP is already attached");
        using (no_grad()) Collective(() => group.broadcast(trainable.Cast<Tensor>().ToList(), root: 0));
        ddp = Collective(() => new DistributedDataParallel(group, trainable, average: false));
    }

    /// <summary>Arms the next backward pass (of <paramref name="loss"/>) to allreduce the accumulated gradients; call it
    /// before the last micro-batch's backward of an optimizer step.</summary>
    public void SyncNextBackward(Tensor loss)
    {
        if (ddp is not null) Collective(() => ddp.prepare_for_backward(loss));
    }

    /// <summary>Runs a backward pass, armed or not; a failed allreduce inside it is reported as a collective failure.</summary>
    public void Backward(Tensor loss) => Collective(() => loss.backward());

    public void Barrier()
    {
        if (group is not null) Collective(group.barrier);
    }

    private void Collective(Action action) => Collective(() => { action(); return 0; });

    private T Collective<T>(Func<T> action)
    {
        try
        {
            return action();
        }
        catch (TorchException e) when (group is not null)
        {
            throw new CollectiveException(Rank, WorldSize, e.Message);
        }
    }

    public void Dispose()
    {
        ddp?.Dispose();
        group?.Dispose();
    }
}

/// <summary>A collective failed: another rank exited, crashed or did not answer within the timeout.</summary>
public sealed class CollectiveException(int rank, int worldSize, string detail)
    : TrainingException($"rank {rank} of {worldSize}: a collective operation failed, so another worker has exited or stopped answering " +
                        $"({FirstLine(detail)}). The run stops; resume it from its last checkpoint with the same number of processes.")
{
    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
