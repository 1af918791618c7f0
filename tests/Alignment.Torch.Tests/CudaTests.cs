namespace Alignment.Torch.Tests;

// GPU code paths; skipped cleanly without a GPU.
public class CudaTests
{
    [Fact]
    public void Cuda_availability_is_consistent_with_the_build()
    {
        if (!torch.cuda.is_built()) Assert.False(torch.cuda.is_available());
        Assert.Equal(torch.cuda.is_available(), torch.cuda.device_count() > 0);
        if (!torch.cuda.is_available())
        {
            using var scope = NewDisposeScope();
            var e = Assert.Throws<TorchException>(() => ones(2).to(Device.CUDA));
            Assert.False(string.IsNullOrWhiteSpace(e.Message));
        }
    }

    [CudaFact]
    public void Tensors_move_to_the_gpu_and_back_unchanged()
    {
        using var scope = NewDisposeScope();
        var x = randn(new long[] { 4, 5 }, generator: new Generator(1));
        var g = x.cuda();
        Assert.Equal(DeviceType.CUDA, g.device.type);
        Assert.Equal(x.data<float>(), g.cpu().data<float>());
    }

    [CudaFact]
    public void Matmul_and_backward_on_gpu_match_cpu()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(3);
        var a = randn(new long[] { 16, 32 }, ScalarType.Float64, generator: gen);
        var b = randn(new long[] { 32, 8 }, ScalarType.Float64, generator: gen);
        var ga = a.cuda().requires_grad_();
        var ca = a.clone().requires_grad_();
        ga.matmul(b.cuda()).tanh().sum().backward();
        ca.matmul(b).tanh().sum().backward();
        var diff = (ga.grad!.cpu() - ca.grad!).abs().max().item<double>();
        Assert.True(diff < 1e-10, $"gpu/cpu grad difference {diff}");
        var seeded = randn(new long[] { 3 }, device: Device.CUDA, generator: new Generator(9)).cpu().data<float>();
        Assert.Equal(randn(new long[] { 3 }, generator: new Generator(9)).data<float>(), seeded);
    }
}
