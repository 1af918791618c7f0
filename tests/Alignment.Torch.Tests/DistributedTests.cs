using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Alignment.Torch.Distributed;
using static Alignment.Torch.torch.nn;

namespace Alignment.Torch.Tests;

// c10d over Gloo on loopback: two ranks, each on its own thread with its own process group (the same TCPStore and
// sockets as two processes; the CLI tests run real processes). Expected values are worked out by hand.
public class DistributedTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    internal static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    /// <summary>Runs body(rank, group) on two threads, one per rank, and returns both results.</summary>
    private static T[] TwoRanks<T>(Func<int, ProcessGroup, T> body, TimeSpan? timeout = null)
    {
        int port = FreePort();
        var results = new T[2];
        var tasks = Enumerable.Range(0, 2).Select(rank => Task.Factory.StartNew(() =>
        {
            using var g = ProcessGroup.Init("gloo", "127.0.0.1", port, rank, 2, timeout ?? Timeout);
            results[rank] = body(rank, g);
        }, TaskCreationOptions.LongRunning)).ToArray();
        Assert.True(Task.WaitAll(tasks, TimeSpan.FromSeconds(60)), "ranks did not finish");
        return results;
    }

    [Fact]
    public void All_reduce_sums_and_takes_the_max_over_ranks()
    {
        var r = TwoRanks((rank, g) =>
        {
            using var a = tensor(new double[] { rank + 1, 10 * (rank + 1) });
            using var b = tensor(new float[] { rank == 0 ? 5 : -1, rank == 0 ? 2 : 7 });
            g.all_reduce(a);
            g.all_reduce(b, ReduceOp.Max);
            return (a.data<double>().ToArray(), b.data<float>().ToArray(), g.Rank, g.WorldSize);
        });
        foreach (var (sum, max, _, world) in r)
        {
            Assert.Equal(new double[] { 3, 30 }, sum);      // 1 + 2, 10 + 20
            Assert.Equal(new float[] { 5, 7 }, max);
            Assert.Equal(2, world);
        }
        Assert.Equal(new[] { 0, 1 }, r.Select(x => x.Rank));
    }

    [Fact]
    public void Broadcast_copies_the_root_tensor_and_the_store_passes_messages()
    {
        var r = TwoRanks((rank, g) =>
        {
            using var t = full(new long[] { 3 }, rank == 1 ? 4.5 : -1.0);
            g.broadcast([t], root: 1);
            if (rank == 1) g.StoreSet("hello", "from rank 1");
            g.barrier();
            return (t.data<float>().ToArray(), g.StoreGet("hello"), g.StoreGet("absent"));
        });
        foreach (var (values, hello, absent) in r)
        {
            Assert.Equal(new float[] { 4.5f, 4.5f, 4.5f }, values);
            Assert.Equal("from rank 1", hello);
            Assert.Null(absent);
        }
    }

    // loss_r = Σ_i (w·x_i + b)² over rank r's rows; dL/dw = Σ 2(w·x+b)x, dL/db = Σ 2(w·x+b).
    private static readonly double[][] Rows = { new[] { 1.0, 2.0 }, new[] { -1.0, 0.5 }, new[] { 3.0, -2.0 }, new[] { 0.0, 1.0 } };
    private static readonly double[] W = { 0.5, -0.25 };
    private const double B = 0.1;

    private static (double[] dw, double db) ByHand(IEnumerable<double[]> rows)
    {
        var dw = new double[2];
        double db = 0;
        foreach (var x in rows)
        {
            double e = 2 * (W[0] * x[0] + W[1] * x[1] + B);
            dw[0] += e * x[0];
            dw[1] += e * x[1];
            db += e;
        }
        return (dw, db);
    }

    private static void Close(double[] expected, double[] actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], actual[i], 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Ddp_reduces_the_accumulated_gradients_in_buckets(bool average)
    {
        var r = TwoRanks((rank, g) =>
        {
            using var w = new Parameter(tensor(W));
            using var b = new Parameter(tensor(new[] { B }));
            // A 1-byte bucket cap puts each parameter in its own bucket: two allreduces during one backward pass.
            using var ddp = new DistributedDataParallel(g, [w, b], average, bucketBytes: 1, firstBucketBytes: 1);
            long[] buckets = ddp.BucketBytes;
            // Rank r's rows are r and r + 2, one per micro-batch; only the second backward pass is armed.
            for (int micro = 0; micro < 2; micro++)
            {
                using var scope = NewDisposeScope();
                using var x = tensor(Rows[rank + 2 * micro]);
                var loss = (w.mul(x).sum() + b.sum()).pow(2);
                if (micro == 1) ddp.prepare_for_backward(loss);
                loss.backward();
            }
            return (w.grad!.data<double>().ToArray(), b.grad!.data<double>()[0], buckets);
        });
        var (dw, db) = ByHand(Rows);
        double scale = average ? 0.5 : 1;
        foreach (var (gw, gb, buckets) in r)
        {
            Close(dw.Select(v => v * scale).ToArray(), gw);
            Assert.Equal(db * scale, gb, 12);
            Assert.Equal(new long[] { 8, 16 }, buckets);   // b (1 double), then w (2 doubles): reverse parameter order
        }
    }

    [Fact]
    public void Unarmed_backward_stays_local()
    {
        var r = TwoRanks((rank, g) =>
        {
            using var w = new Parameter(tensor(W));
            using var b = new Parameter(tensor(new[] { B }));
            using var ddp = new DistributedDataParallel(g, [w, b], average: false);
            using var scope = NewDisposeScope();
            using var x = tensor(Rows[rank]);
            (w.mul(x).sum() + b.sum()).pow(2).backward();
            return w.grad!.data<double>().ToArray();
        });
        Close(ByHand([Rows[0]]).dw, r[0]);
        Close(ByHand([Rows[1]]).dw, r[1]);
    }

    [Fact]
    public void Different_parameter_shapes_across_ranks_are_refused()
    {
        var r = TwoRanks((rank, g) =>
        {
            using var w = new Parameter(zeros(rank == 0 ? 2 : 3));
            try
            {
                using var ddp = new DistributedDataParallel(g, [w]);
                return "";
            }
            catch (TorchException e)
            {
                return e.Message;
            }
        });
        Assert.Contains("size", r[1], StringComparison.OrdinalIgnoreCase);                  // the rank that differs names the shapes
        Assert.Contains("1 rank(s) hold parameters whose sizes differ from rank 0's", r[0]);
    }

    [Fact]
    public void A_peer_that_stops_answering_fails_the_collective_within_the_timeout()
    {
        var clock = Stopwatch.StartNew();
        var r = TwoRanks((rank, g) =>
        {
            if (rank == 1) return "";                          // joins, then never takes part in the allreduce
            using var t = ones(4);
            var e = Assert.Throws<TorchException>(() => g.all_reduce(t));
            return e.Message;
        }, timeout: TimeSpan.FromSeconds(3));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), $"took {clock.Elapsed}");
        Assert.NotEmpty(r[0]);
    }

    [Fact]
    public void Bad_arguments_are_refused_with_a_message()
    {
        var e = Assert.Throws<TorchException>(() => ProcessGroup.Init("gloo", "127.0.0.1", FreePort(), 2, 2, Timeout));
        Assert.Contains("rank 2 is outside [0, 2)", e.Message);
        e = Assert.Throws<TorchException>(() => ProcessGroup.Init("mpi", "127.0.0.1", FreePort(), 0, 1, Timeout));
        Assert.Contains("unknown backend 'mpi'", e.Message);
        if (!ProcessGroup.NcclAvailable)
        {
            e = Assert.Throws<TorchException>(() => ProcessGroup.Init("nccl", "127.0.0.1", FreePort(), 0, 1, Timeout));
            Assert.Contains("built without NCCL", e.Message);
        }
    }
}
