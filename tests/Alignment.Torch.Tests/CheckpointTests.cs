namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// Checkpointed (native/checkpoint.cpp): backward's rerun of the body applies the forward's dropout masks, dropout_linear's
// taken from the tape the forward recorded (the generator set, after each, to where the forward left it, so a dropout
// that draws from the generator itself later in the body sees the forward's state too); Recomputing tells the body which
// run it is in; a rerun that asks for a mask the forward did not draw fails with a clear error.
public class CheckpointTests
{
    [Fact]
    public void The_rerun_applies_the_masks_of_the_forward()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var x0 = randn([4, 16], generator: g);
        var w0 = randn([8, 16], generator: g);
        var v0 = randn([3, 8], generator: g);
        var weights = randn([4, 3], generator: g);
        // dropout_linear (on the tape), then a dropout drawn straight from the generator after it
        Tensor Body(Tensor x, Tensor w, Tensor v) => F.linear(F.dropout(F.dropout_linear(x, w, 0.3).tanh(), 0.4, training: true), v);

        var (x, w, v) = (x0.clone().requires_grad_(), w0.clone().requires_grad_(), v0.clone().requires_grad_());
        manual_seed(9);
        var direct = Body(x, w, v);
        direct.mul(weights).sum().backward();

        var (xc, wc, vc) = (x0.clone().requires_grad_(), w0.clone().requires_grad_(), v0.clone().requires_grad_());
        using var body = new Checkpointed(xs => Body(xs[0], wc, vc));
        manual_seed(9);
        var checkpointed = body.Apply([xc], [wc, vc]);
        Assert.Equal(direct.data<float>(), checkpointed.data<float>());
        manual_seed(1);   // the rerun starts from the forward's generator state, whatever the generator holds now
        checkpointed.mul(weights).sum().backward();
        // float32 reruns of the same kernels: only the matmuls' summation order may differ
        TensorAssert.Close(x.grad!, xc.grad!, 1e-6, 1e-6, "input gradient");
        TensorAssert.Close(w.grad!, wc.grad!, 1e-6, 1e-6, "dropout_linear weight gradient");
        TensorAssert.Close(v.grad!, vc.grad!, 1e-6, 1e-6, "last weight gradient");
        manual_seed(9);
        var other = Body(x0, w0, v0);
        manual_seed(10);
        Assert.True(other.sub(Body(x0, w0, v0)).abs().max().ToSingle() > 1e-2, "another seed's masks give the same output");
    }

    [Fact]
    public void Recomputing_is_true_only_while_backward_reruns_the_body()
    {
        using var scope = NewDisposeScope();
        var w = ones([3]).requires_grad_();
        var seen = new List<bool>();
        using var body = new Checkpointed(xs =>
        {
            seen.Add(Checkpointed.Recomputing);
            return xs[0].mul(w);
        });
        Assert.False(Checkpointed.Recomputing);
        var y = body.Apply([ones([3]).requires_grad_()], [w]);
        y.sum().backward();
        Assert.Equal([false, true], seen);
        Assert.False(Checkpointed.Recomputing);
        Assert.Equal([1f, 1f, 1f], w.grad!.data<float>());
    }

    [Fact]
    public void A_rerun_that_draws_another_mask_than_the_forward_fails_clearly()
    {
        using var scope = NewDisposeScope();
        var w = ones([2, 4]).requires_grad_();
        int runs = 0;
        // a body that is not a function of its inputs: the rerun drops out a narrower input than the forward did
        using var body = new Checkpointed(xs => F.dropout_linear(runs++ == 0 ? xs[0] : xs[0].narrow(1, 0, 3).contiguous(), w.narrow(1, 0, runs == 1 ? 4 : 3), 0.5));
        var y = body.Apply([ones([5, 4]).requires_grad_()], [w]);
        var e = Assert.Throws<TorchException>(() => y.sum().backward());
        Assert.Contains("dropout mask", e.Message);
        Assert.False(Checkpointed.Recomputing);
    }

    // keep_for_rerun: the rerun takes the 4-bit product the forward computed (the gradients stay those of a direct
    // run), and a rerun that asks for a product of another shape than the forward kept fails clearly (so the product
    // does come from the tape: computing it again would not fail).
    [Fact]
    public void A_kept_quantized_product_comes_back_from_the_tape()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(6);
        var (packed, absmax) = F.quantize_4bit(randn([12, 64], generator: g), "nf4", 64);
        var code = F.quant_code("nf4");
        var x0 = randn([3, 64], generator: g);
        var weights = randn([3, 12], generator: g);
        Tensor Body(Tensor x) => F.linear_4bit(x, packed, absmax, code, 12, 64, 64, keep_for_rerun: true).tanh();

        var x = x0.clone().requires_grad_();
        Body(x).mul(weights).sum().backward();
        var xc = x0.clone().requires_grad_();
        using (var body = new Checkpointed(xs => Body(xs[0])))
        {
            var y = body.Apply([xc], []);
            y.mul(weights).sum().backward();
        }
        TensorAssert.Close(x.grad!, xc.grad!, 1e-6, 1e-6, "input gradient");

        int runs = 0;
        using var changing = new Checkpointed(xs =>
            F.linear_4bit(runs++ == 0 ? xs[0] : xs[0].narrow(0, 0, 2), packed, absmax, code, 12, 64, 64, keep_for_rerun: true));
        var z = changing.Apply([x0.clone().requires_grad_()], []);
        var e = Assert.Throws<TorchException>(() => z.sum().backward());
        Assert.Contains("kept value", e.Message);
    }
}
