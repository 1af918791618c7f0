namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// dropout_linear against libtorch's own dropout followed by linear, from the same seed of the default generator: the
// same mask, so the same output bit for bit, and the same gradients (up to the matmuls' summation order).
public class DropoutLinearTests
{
    [Theory]
    [InlineData(0.05)]
    [InlineData(0.5)]
    public void Equals_dropout_then_linear_from_the_same_seed(double p)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var x0 = randn([2, 5, 24], generator: g);
        var w0 = randn([4, 24], generator: g);
        var x = x0.clone().requires_grad_();
        var w = w0.clone().requires_grad_();
        var xr = x0.clone().requires_grad_();
        var wr = w0.clone().requires_grad_();
        manual_seed(123);
        var y = F.dropout_linear(x, w, p);
        manual_seed(123);
        var yr = F.linear(F.dropout(xr, p, training: true), wr);
        Assert.Equal(yr.contiguous().data<float>(), y.contiguous().data<float>());
        if (p == 0.5) Assert.True(y.sub(F.linear(x0, w0)).abs().max().ToSingle() > 0.1f, "nothing was dropped");
        var gy = randn([2, 5, 4], generator: g);
        y.backward(gy);
        yr.backward(gy);
        TensorAssert.Close(xr.grad!, x.grad!, 1e-6, 1e-6, "x gradient");
        TensorAssert.Close(wr.grad!, w.grad!, 1e-6, 1e-6, "weight gradient");
    }

    [Fact]
    public void Bad_inputs_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<TorchException>(() => F.dropout_linear(ones([2, 3]), ones([4, 3]), 0));
        Assert.Contains("(0, 1)", e.Message);
        e = Assert.Throws<TorchException>(() => F.dropout_linear(ones([2, 3]), ones([4, 5]), 0.1));
        Assert.Contains("in_features", e.Message);
    }
}
