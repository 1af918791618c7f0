namespace Alignment.Torch.Tests;

// Counts process-wide native tensors, so it must not run beside other tests.
[Collection(nameof(LiveTensorCounting))]
public class DisposeScopeTests
{
    [Fact]
    public void Scope_frees_every_tensor_it_created_natively()
    {
        long nativeBefore = native_live_tensors();
        using (NewDisposeScope())
        {
            var x = randn(4, 4);
            var y = (x.matmul(x) + 1).relu().sum(1);
            var parts = y.chunk(2);
            Assert.Equal(2, parts.Length);
            Assert.True(native_live_tensors() - nativeBefore >= 6);
        }
        Assert.Equal(nativeBefore, native_live_tensors());
    }

    [Fact]
    public void Nested_scopes_move_results_out_one_level()
    {
        long before = native_live_tensors();
        using (var outer = NewDisposeScope())
        {
            Tensor r;
            using (NewDisposeScope())
            {
                var a = ones(3);
                r = (a * 2).MoveToOuterScope();
            }
            Assert.False(r.IsDisposed);
            Assert.Same(outer, r.OwningScope);
            Assert.Equal(6.0, r.sum().item<double>());
        }
        Assert.Equal(before, native_live_tensors());
    }

    [Fact]
    public void Detached_tensor_survives_all_scopes_until_disposed()
    {
        Tensor t;
        using (NewDisposeScope()) t = ones(2).DetachFromDisposeScope();
        Assert.False(t.IsDisposed);
        t.Dispose();
        Assert.True(t.IsDisposed);
    }

    [Fact]
    public void No_grad_scope_stops_recording_and_restores()
    {
        using var scope = NewDisposeScope();
        var w = ones(new long[] { 2 }, requires_grad: true);
        Assert.True(w.requires_grad);
        Assert.True(zeros(new long[] { 1 }, requires_grad: true).requires_grad);
        Assert.True(full(new long[] { 1 }, 2.0, requires_grad: true).requires_grad);
        Assert.True(arange(0, 3, 1, ScalarType.Float32, requires_grad: true).requires_grad);
        using (no_grad())
        {
                Assert.False(is_grad_enabled());
            Assert.False((w * 2).requires_grad);
        }
        Assert.True(is_grad_enabled());
        Assert.True((w * 2).requires_grad);
    }

    [Fact]
    public void Backward_accumulates_grad_and_setting_null_clears_it()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new double[] { 1, 2, 3 }, requires_grad: true);
        (w * w).sum().backward();
        Assert.Equal(new double[] { 2, 4, 6 }, w.grad!.data<double>());
        (w * 3).sum().backward();
        Assert.Equal(new double[] { 5, 7, 9 }, w.grad!.data<double>());
        w.grad = null;
        Assert.Null(w.grad);
    }

    [Fact]
    public void Seeded_generators_repeat_and_state_restores()
    {
        using var scope = NewDisposeScope();
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        var a = randn(new long[] { 5 }, generator: g1).data<float>();
        Assert.Equal(a, randn(new long[] { 5 }, generator: g2).data<float>());
        var state = g1.get_state();
        var next = rand(new long[] { 3 }, generator: g1).data<float>();
        g1.set_state(state);
        Assert.Equal(next, rand(new long[] { 3 }, generator: g1).data<float>());
        Assert.NotEqual(a, randn(new long[] { 5 }, generator: g2).data<float>());
    }
}
