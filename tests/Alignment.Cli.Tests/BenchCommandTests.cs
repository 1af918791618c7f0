using System.Text.Json;
using Alignment.Cli.Bench;
using Alignment.Torch;

namespace Alignment.Cli.Tests;

// `align bench torch` and the shared TorchBench harness, run with small settings. Numbers are printed, never judged here.
public class BenchCommandTests
{
    [Fact]
    public void Bench_torch_json_reports_every_op_and_each_requested_matmul_size()
    {
        var r = CliRunner.Run("bench", "torch", "--size", "32", "--size", "48", "--iterations", "2", "--calls", "50", "--json");

        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var ops = doc.RootElement.GetProperty("ops").EnumerateArray().ToList();
        Assert.Equal(["add", "matmul_8", "sum", "view", "cross_entropy", "item", "scope_round_trip"],
                     ops.Select(o => o.GetProperty("name").GetString()));
        foreach (var op in ops)
        {
            Assert.True(op.GetProperty("median_microseconds").GetDouble() > 0);
            Assert.True(op.GetProperty("best_microseconds").GetDouble() <= op.GetProperty("median_microseconds").GetDouble());
            Assert.Equal(50, op.GetProperty("calls_per_batch").GetInt32());
        }

        var matmul = doc.RootElement.GetProperty("matmul").EnumerateArray().ToList();
        Assert.Equal([32, 48], matmul.Select(m => m.GetProperty("size").GetInt32()));
        foreach (var m in matmul)
        {
            Assert.Equal(2, m.GetProperty("iterations").GetInt32());
            Assert.Equal("cpu", m.GetProperty("device").GetString());
            Assert.True(m.GetProperty("gflops").GetDouble() > 0);
        }
    }

    [Fact]
    public void Bench_torch_table_lists_ops_and_sizes()
    {
        var r = CliRunner.Run("bench", "torch", "--size", "16", "--iterations", "1", "--calls", "20");

        Assert.True(r.ExitCode == 0, r.Error);
        foreach (var name in new[] { "add", "matmul_8", "cross_entropy", "scope_round_trip", "GFLOP/s" })
            Assert.Contains(name, r.Out);
    }

    [Theory]
    [InlineData("--size", "0")]
    [InlineData("--iterations", "0")]
    [InlineData("--calls", "-1")]
    [InlineData("--device", "tpu")]
    public void Bench_torch_rejects_bad_values_before_measuring(string option, string value)
    {
        var r = CliRunner.Run("bench", "torch", option, value);

        Assert.NotEqual(0, r.ExitCode);
        Assert.NotEmpty(r.Error);
        Assert.Contains("Usage:", r.Out);
    }

    [Fact]
    public void Bench_on_cuda_without_a_gpu_says_so()
    {
        if (torch.cuda.is_available()) return;   // a GPU machine runs the CUDA path instead; nothing to refuse

        var r = CliRunner.Run("bench", "torch", "--device", "cuda", "--size", "16", "--iterations", "1", "--calls", "10");

        Assert.Equal(2, r.ExitCode);
        Assert.Contains("no usable GPU", r.Error);
        Assert.Empty(r.Out);
    }

    [Fact]
    public void MeasureCalls_makes_the_warm_up_and_every_timed_call_and_frees_their_tensors()
    {
        long before = torch.native_live_tensors();
        int made = 0;
        using (torch.NewDisposeScope())
        {
            var a = torch.ones(1);
            var cost = TorchBench.MeasureCalls("add", "test", () => { made++; a.add(a); }, callsPerBatch: 1000, batches: 3);

            Assert.Equal(100 + 3 * 1000, made);   // warm-up of max(100, calls/10), then batches × calls
            Assert.Equal(3, cost.Batches);
            Assert.True(cost.BestMicroseconds <= cost.MedianMicroseconds);
        }
        Assert.Equal(before, torch.native_live_tensors());
    }

    [Fact]
    public void Matmul_times_the_requested_iterations_and_leaks_nothing()
    {
        long before = torch.native_live_tensors();
        var m = TorchBench.Matmul(64, Device.CPU, iterations: 4);

        Assert.Equal(4, m.Iterations);
        Assert.Equal(64, m.Size);
        Assert.True(m.MedianSeconds > 0);
        Assert.Equal(2.0 * 64 * 64 * 64 / m.MedianSeconds / 1e9, m.Gflops, 6);
        Assert.True(m.BestGflops >= m.Gflops);
        Assert.Equal(before, torch.native_live_tensors());
    }

    [Fact]
    public void Median_of_odd_and_even_counts()
    {
        Assert.Equal(2, TorchBench.Median([3, 1, 2]));
        Assert.Equal(2.5, TorchBench.Median([4, 1, 3, 2]));
    }
}
