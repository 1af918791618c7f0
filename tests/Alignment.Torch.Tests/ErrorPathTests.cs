namespace Alignment.Torch.Tests;

// Every native failure surfaces as a TorchException carrying libtorch's message, and the process carries on.
public class ErrorPathTests
{
    [Fact]
    public void Shape_mismatch_throws_with_the_shapes_and_the_process_lives_on()
    {
        using var scope = NewDisposeScope();
        var a = ones(2, 3);
        var b = ones(4, 5);
        var e = Assert.Throws<TorchException>(() => a.matmul(b));
        Assert.Contains("2x3", e.Message);
        Assert.Contains("4x5", e.Message);
        var e2 = Assert.Throws<TorchException>(() => ones(2, 3) + ones(4, 3));
        Assert.Contains("size of tensor a (2) must match the size of tensor b (4)", e2.Message);
        // The bridge still works after the failures.
        Assert.Equal(6.0, (a * 2).sum().item<double>() / 2);
    }

    [Fact]
    public void Dtype_mismatch_throws()
    {
        using var scope = NewDisposeScope();
        var f = ones(2, 2);
        var l = ones(new long[] { 2, 2 }, ScalarType.Int64);
        var e = Assert.Throws<TorchException>(() => f.matmul(l));
        Assert.Contains("Float", e.Message);
        Assert.Contains("Long", e.Message);
        // Reading a tensor as the wrong C# element type is refused before any copy.
        var e2 = Assert.Throws<TorchException>(() => f.data<long>());
        Assert.Contains("float32", e2.Message);
    }

    [Fact]
    public void Use_after_dispose_throws_a_torch_exception()
    {
        var t = ones(3);
        t.Dispose();
        var e = Assert.Throws<TorchException>(() => t.sum());
        Assert.Contains("after Dispose", e.Message);
        Assert.Throws<TorchException>(() => t.shape);
        t.Dispose();   // disposing twice is harmless
        Assert.Equal("tensor(disposed)", t.ToString());
    }

    [Fact]
    public void Tensor_from_a_closed_scope_is_disposed()
    {
        Tensor kept, dropped;
        using (NewDisposeScope())
        {
            dropped = ones(2);
            kept = ones(2).MoveToOuterScope();
        }
        Assert.True(dropped.IsDisposed);
        Assert.False(kept.IsDisposed);
        kept.Dispose();
    }

    [Fact]
    public void Bad_arguments_are_rejected_without_a_crash()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<TorchException>(() => ones(2, 3).view(4, 2));
        Assert.Throws<TorchException>(() => ones(2, 3).permute(0));
        Assert.Throws<TorchException>(() => ones(2, 3).narrow(1, 2, 5));
        Assert.Throws<TorchException>(() => ones(3).index_select(0, tensor(new long[] { 5 })));
        Assert.Throws<TorchException>(() => ones(2).to(Device.CUDA).sum().item<float>() + (torch.cuda.is_available() ? throw new TorchException("skip") : 0));
        Assert.Throws<TorchException>(() => nn.functional.cross_entropy(ones(2, 3), tensor(new long[] { 0, 1, 2 })));
        Assert.Throws<TorchException>(() => tensor(new float[] { 1, 2, 3 }, new long[] { 2, 2 }));
        Assert.Throws<TorchException>(() => cat(Array.Empty<Tensor>()));
        Assert.Throws<TorchException>(() => ones(1).backward());    // does not require grad
    }
}
