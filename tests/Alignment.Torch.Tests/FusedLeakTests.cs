namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

[CollectionDefinition(nameof(LiveTensorCounting), DisableParallelization = true)]
public class LiveTensorCounting { }

// Counts native tensors, which is process-wide: runs alone, after the parallel tests.
[Collection(nameof(LiveTensorCounting))]
public class FusedLeakTests
{
    private static Tensor Randn(ulong seed, ScalarType dtype, params long[] shape)
    {
        using var gen = new Generator(seed);
        return randn(shape, float64, generator: gen).to(dtype);
    }

    [Fact]
    public void Fused_ops_leave_no_native_tensor_behind()
    {
        void Step()
        {
            using var scope = NewDisposeScope();
            var x = Randn(11, float32, 2, 2, 4, 8).requires_grad_();
            var w = ones(new long[] { 8 }, requires_grad: true);
            var (cos, sin) = F.rotary_cos_sin(arange(4), 8);
            var h = F.apply_rotary(F.rms_norm(x, w), cos, sin);
            var o = F.causal_attention(h, h, h, ones(new long[] { 2, 4 }, int64));
            var lp = F.logprobs_of(F.swiglu(o, o).reshape(2, 8, 8), zeros(new long[] { 2, 8 }, int64));
            lp.sum().backward();
            x.grad = null;
            w.grad = null;
        }
        Step();  // warm-up: lazily created native state is not a leak
        long before = native_live_tensors();
        for (int i = 0; i < 5; i++) Step();
        Assert.Equal(before, native_live_tensors());
    }
}
