using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;

namespace Alignment.Torch.Tests;

// A training loop must not leak: 10,000 steps of forward + backward + AdamW leave the live tensor counts unchanged
// and resident memory flat.
[Collection(SequentialCollection.Name)]
public class TrainingMemoryTests
{
    private static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmRSS line in /proc/self/status");
    }

    [Fact]
    public void Ten_thousand_training_steps_leak_no_tensors_and_no_memory()
    {
        using var g = new Generator(7);
        using var model = new Mlp(g);
        using var optimizer = new AdamW(model.parameters(), lr: 1e-3);
        using var x = randn(new long[] { 16, 32 }, generator: g);
        using var y = randn(new long[] { 16, 1 }, generator: g);
        double lastLoss = double.NaN;

        void Step()
        {
            using var scope = NewDisposeScope();
            var loss = functional.mse_loss(model.forward(x), y);
            loss.backward();
            optimizer.step();
            optimizer.zero_grad();
            lastLoss = loss.item<double>();
        }

        for (int i = 0; i < 5; i++) Step();               // warm-up: AdamW state now exists
        GC.Collect();
        GC.WaitForPendingFinalizers();
        long live = Tensor.LiveCount, native = native_live_tensors(), rss = ResidentBytes();
        double firstLoss = lastLoss;

        for (int i = 0; i < 10_000; i++) Step();

        Assert.Equal(live, Tensor.LiveCount);
        Assert.Equal(native, native_live_tensors());
        long growth = ResidentBytes() - rss;
        Assert.True(growth < 50L * 1024 * 1024, $"resident memory grew by {growth / (1024.0 * 1024):F1} MB over 10,000 steps");
        Assert.True(double.IsFinite(lastLoss) && lastLoss < firstLoss, $"loss went from {firstLoss} to {lastLoss}");
    }

    [Fact]
    public void Saving_and_loading_checkpoints_leaks_no_tensors()
    {
        var dir = Directory.CreateTempSubdirectory("align-leak-");
        try
        {
            using var run = new OptimizerStateTests.Run(seed: 9);
            run.Train(0);
            string model = Path.Combine(dir.FullName, "model.safetensors");
            string optimizer = Path.Combine(dir.FullName, "optimizer.safetensors");
            long live = Tensor.LiveCount, native = native_live_tensors();
            for (int i = 0; i < 3; i++)
            {
                run.model.save(model);
                run.optimizer.save(optimizer);
                run.model.load(model);
                run.optimizer.load(optimizer);
                Assert.Throws<TorchException>(() => run.optimizer.load(model));     // failed loads free what they read
            }
            Assert.Equal(live, Tensor.LiveCount);
            Assert.Equal(native, native_live_tensors());
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
