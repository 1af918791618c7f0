using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;

namespace Alignment.Torch.Tests;

// Modules and optimizers on the GPU; skipped cleanly without one.
public class NnCudaTests
{
    [CudaFact]
    public void A_module_moved_to_the_gpu_trains_like_its_cpu_twin()
    {
        using var g = new Generator(21);
        using var cpu = new Mlp(g, inputs: 8, hidden: 16).to(float64);
        using var gpu = new Mlp(g, inputs: 8, hidden: 16).to(float64);
        gpu.load_state_dict(cpu.state_dict());
        var weight = gpu.fc1.weight;
        gpu.cuda();
        Assert.Same(weight, gpu.fc1.weight);
        Assert.Equal(DeviceType.CUDA, weight.device.type);
        using var cpuOpt = new AdamW(cpu.parameters(), lr: 1e-2);
        using var gpuOpt = new AdamW(gpu.parameters(), lr: 1e-2);
        using var x = randn(new long[] { 5, 8 }, float64, generator: g);
        using var y = randn(new long[] { 5, 1 }, float64, generator: g);
        for (int step = 0; step < 4; step++)
        {
            using var scope = NewDisposeScope();
            functional.mse_loss(cpu.forward(x), y).backward();
            functional.mse_loss(gpu.forward(x.cuda()), y.cuda()).backward();
            double cpuNorm = utils.clip_grad_norm_(cpu.parameters(), 0.1);
            double gpuNorm = utils.clip_grad_norm_(gpu.parameters(), 0.1);
            Assert.Equal(cpuNorm, gpuNorm, 10);
            cpuOpt.step();
            gpuOpt.step();
            cpuOpt.zero_grad();
            gpuOpt.zero_grad();
        }
        Assert.Equal(DeviceType.CUDA, gpuOpt.state_of(weight)!.tensors["exp_avg"].device.type);
        foreach (var (name, p) in cpu.named_parameters())
        {
            using var scope = NewDisposeScope();
            double diff = (gpu.get_parameter(name).cpu() - p).abs().max().item<double>();
            Assert.True(diff < 1e-10, $"{name}: gpu/cpu difference {diff}");
        }
    }
}
