namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// linear_value_unused: zeros of the linear's output shape whose backward gives linear's own gradients (input, a
// trained weight, bias), and a frozen weight's version needs no input kept.
public class LinearValueUnusedTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Zeros_with_the_gradients_of_the_linear(bool trainWeight)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(12);
        var x0 = randn([2, 3, 7], float64, generator: g);
        var w0 = randn([5, 7], float64, generator: g);
        var b0 = randn([5], float64, generator: g);
        var weights = randn([2, 3, 5], float64, generator: g);
        var (x, w, b) = (x0.clone().requires_grad_(), w0.clone().requires_grad_(trainWeight), b0.clone().requires_grad_());
        var (xr, wr, br) = (x0.clone().requires_grad_(), w0.clone().requires_grad_(trainWeight), b0.clone().requires_grad_());
        var y = F.linear_value_unused(x, w, b);
        Assert.Equal([2L, 3, 5], y.shape);
        Assert.Equal(0.0, y.abs().max().ToDouble());
        (y * weights).sum().backward();
        (F.linear(xr, wr, br) * weights).sum().backward();
        TensorAssert.Close(xr.grad!, x.grad!, 1e-12, 1e-12, "input gradient");
        TensorAssert.Close(br.grad!, b.grad!, 1e-12, 1e-12, "bias gradient");
        if (trainWeight) TensorAssert.Close(wr.grad!, w.grad!, 1e-12, 1e-12, "weight gradient");
        else Assert.Null(w.grad);
    }

    [Fact]
    public void Mismatched_shapes_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        var e = Assert.Throws<TorchException>(() => F.linear_value_unused(ones([2, 3]), ones([4, 5])));
        Assert.Contains("in_features", e.Message);
        e = Assert.Throws<TorchException>(() => F.linear_value_unused(ones([2, 3]), ones([4, 3]), ones([5])));
        Assert.Contains("bias", e.Message);
    }
}
