using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;
using static Alignment.Torch.Tests.OptimizerTestData;

namespace Alignment.Torch.Tests;

// SGD against PyTorch's documented update rule, computed here in doubles. Tolerance 1e-12 (float64, same operations).
public class SGDTests
{
    private static void ReferenceStep(double[] p, double[]? buf, double[] g, bool first, double lr, double momentum,
                                      double dampening, double wd, bool nesterov)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double d = g[i] + wd * p[i];
            if (momentum != 0)
            {
                buf![i] = first ? d : momentum * buf[i] + (1 - dampening) * d;
                d = nesterov ? d + momentum * buf[i] : buf[i];
            }
            p[i] -= lr * d;
        }
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.0, false)]     // plain gradient descent
    [InlineData(0.0, 0.0, 0.05, false)]    // L2 weight decay
    [InlineData(0.9, 0.1, 0.05, false)]    // momentum with dampening
    [InlineData(0.9, 0.0, 0.01, true)]     // Nesterov
    public void Steps_match_the_update_rule(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        const double lr = 0.1;
        var expected = Initial(0, 4);
        var buf = new double[4];
        using var p = NewParameter(expected.ToArray(), new long[] { 2, 2 });
        using var opt = new SGD(new[] { p }, lr, momentum, weightDecay, nesterov, dampening);
        for (int t = 1; t <= 5; t++)
        {
            var g = Grads(0, 4, t);
            SetGrad(p, g);
            opt.step();
            ReferenceStep(expected, buf, g, t == 1, lr, momentum, dampening, weightDecay, nesterov);
            AssertClose(expected, p.data<double>(), 1e-12, $"step {t}");
        }
        if (momentum == 0) Assert.Null(opt.state_of(p));
        else AssertClose(buf, opt.state_of(p)!.tensors["momentum_buffer"].data<double>(), 1e-12, "momentum_buffer");
    }

    [Fact]
    public void Nesterov_needs_momentum_and_no_dampening()
    {
        using var p = new Parameter(zeros(1));
        Assert.Throws<TorchException>(() => new SGD(new[] { p }, 0.1, nesterov: true));
        Assert.Throws<TorchException>(() => new SGD(new[] { p }, 0.1, momentum: 0.9, nesterov: true, dampening: 0.5));
    }
}
