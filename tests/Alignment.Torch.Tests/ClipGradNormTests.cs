using static Alignment.Torch.torch.nn;

namespace Alignment.Torch.Tests;

// clip_grad_norm_ against norms computed by hand.
public class ClipGradNormTests
{
    private static (Parameter a, Parameter b, Parameter none) ThreeParameters()
    {
        var a = new Parameter(zeros(2));
        var b = new Parameter(zeros(1, 1));
        var none = new Parameter(zeros(3));
        using (var ga = tensor(new float[] { 3, -4 })) a.grad = ga;
        using (var gb = tensor(new float[] { 12 }, new long[] { 1, 1 })) b.grad = gb;
        return (a, b, none);
    }

    [Fact]
    public void Clips_to_max_norm_and_returns_the_norm_before_clipping()
    {
        var (a, b, none) = ThreeParameters();
        using (a) using (b) using (none)
        {
            // √(3² + 4² + 12²) = 13; scale = 6.5 / (13 + 1e-6)
            double total = utils.clip_grad_norm_(new[] { a, b, none }, max_norm: 6.5);
            Assert.Equal(13.0, total, 5);
            double scale = 6.5 / (13 + 1e-6);
            Assert.Equal(new[] { 3 * scale, -4 * scale }, a.grad!.data<float>().Select(x => (double)x), new Tolerance(1e-6));
            Assert.Equal(12 * scale, b.grad!.data<float>()[0], 5);
            Assert.Null(none.grad);
            Assert.Equal(6.5, utils.clip_grad_norm_(new[] { a, b }, 100), 4);   // already within: reported, unchanged
        }
    }

    [Fact]
    public void Leaves_gradients_within_the_limit_unchanged()
    {
        var (a, b, none) = ThreeParameters();
        using (a) using (b) using (none)
        {
            Assert.Equal(13.0, utils.clip_grad_norm_(new[] { a, b }, max_norm: 20), 5);
            Assert.Equal(new float[] { 3, -4 }, a.grad!.data<float>());
            Assert.Equal(new float[] { 12 }, b.grad!.data<float>());
        }
    }

    [Fact]
    public void Infinity_norm_is_the_largest_absolute_gradient()
    {
        var (a, b, none) = ThreeParameters();
        using (a) using (b) using (none)
        {
            Assert.Equal(12.0, utils.clip_grad_norm_(new[] { a, b }, max_norm: 6, norm_type: double.PositiveInfinity), 5);
            Assert.Equal(-4 * 6 / (12 + 1e-6), a.grad!.data<float>()[1], 5);
        }
    }

    [Fact]
    public void No_gradients_give_zero_and_a_nonfinite_norm_can_be_an_error()
    {
        using var p = new Parameter(zeros(2));
        Assert.Equal(0.0, utils.clip_grad_norm_(new[] { p }, 1.0));
        using (var g = tensor(new float[] { float.NaN, 1 })) p.grad = g;
        var e = Assert.Throws<TorchException>(() => utils.clip_grad_norm_(new[] { p }, 1.0, error_if_nonfinite: true));
        Assert.Contains("NaN", e.Message);
    }

    private sealed class Tolerance : IEqualityComparer<double>
    {
        private readonly double tol;
        public Tolerance(double tol) => this.tol = tol;
        public bool Equals(double x, double y) => Math.Abs(x - y) <= tol;
        public int GetHashCode(double obj) => 0;
    }
}
