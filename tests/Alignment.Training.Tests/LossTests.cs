using Alignment.Training.Losses;

namespace Alignment.Training.Tests;

// Each loss against its published formula evaluated in plain double arithmetic (System.Math), tolerance 1e-12 in float64.
public class LossTests
{
    private const double Tol = 1e-12;
    private static double LogSig(double z) => z >= 0 ? -Math.Log(1 + Math.Exp(-z)) : z - Math.Log(1 + Math.Exp(z));
    private static double Sig(double z) => 1 / (1 + Math.Exp(-z));

    // Policy/reference summed log-probs for three pairs, chosen to give positive, negative and zero margins.
    private static readonly double[] Pw = { -10.0, -22.5, -7.0 }, Pl = { -12.0, -20.0, -7.5 };
    private static readonly double[] Rw = { -11.0, -21.0, -7.2 }, Rl = { -11.5, -21.5, -7.7 };

    private static double H(int i) => (Pw[i] - Rw[i]) - (Pl[i] - Rl[i]);

    private static Tensor T(double[] v) => tensor(v);

    private static void AssertClose(double[] expected, Tensor actual)
    {
        var got = actual.data<double>();
        Assert.Equal(expected.Length, got.Length);
        for (int i = 0; i < got.Length; i++) Assert.True(Math.Abs(expected[i] - got[i]) < Tol, $"[{i}] expected {expected[i]}, got {got[i]}");
    }

    [Fact]
    public void Margin_is_the_difference_of_log_ratios()
    {
        using var scope = NewDisposeScope();
        AssertClose(new[] { H(0), H(1), H(2) }, DpoLoss.LogRatioMargin(T(Pw), T(Pl), T(Rw), T(Rl)));
        Assert.Equal(1.5, H(0), 12);   // (-10+11) - (-12+11.5)
    }

    [Theory]
    [InlineData(0.1, 0.0)]
    [InlineData(0.5, 0.2)]
    public void Sigmoid_and_cdpo(double beta, double eps)
    {
        using var scope = NewDisposeScope();
        var h = DpoLoss.LogRatioMargin(T(Pw), T(Pl), T(Rw), T(Rl));
        var expected = Enumerable.Range(0, 3).Select(i => -(1 - eps) * LogSig(beta * H(i)) - eps * LogSig(-beta * H(i))).ToArray();
        AssertClose(expected, DpoLoss.Sigmoid(h, beta, eps));
    }

    [Fact]
    public void Robust_hinge_ipo()
    {
        using var scope = NewDisposeScope();
        double beta = 0.3, eps = 0.1;
        var h = DpoLoss.LogRatioMargin(T(Pw), T(Pl), T(Rw), T(Rl));
        AssertClose(Enumerable.Range(0, 3).Select(i => (-(1 - eps) * LogSig(beta * H(i)) + eps * LogSig(-beta * H(i))) / (1 - 2 * eps)).ToArray(),
                    DpoLoss.Robust(h, beta, eps));
        AssertClose(Enumerable.Range(0, 3).Select(i => Math.Max(0, 1 - beta * H(i))).ToArray(), DpoLoss.Hinge(h, beta));
        // IPO on length-averaged log-ratios: lengths 4 (chosen) and 5 (rejected).
        double[] hAvg = Enumerable.Range(0, 3).Select(i => (Pw[i] - Rw[i]) / 4 - (Pl[i] - Rl[i]) / 5).ToArray();
        AssertClose(hAvg.Select(x => Math.Pow(x - 1 / (2 * beta), 2)).ToArray(), DpoLoss.Ipo(T(hAvg), beta));
        Assert.Throws<ArgumentOutOfRangeException>(() => DpoLoss.Robust(h, beta, 0.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => DpoLoss.Ipo(h, 0));
    }

    [Fact]
    public void SimPO_and_ORPO_reference_free()
    {
        using var scope = NewDisposeScope();
        double[] aw = { -0.8, -1.9, -0.05 }, al = { -1.2, -1.0, -0.07 };
        double beta = 2.0, ratio = 0.5;
        AssertClose(Enumerable.Range(0, 3).Select(i => -LogSig(beta * (aw[i] - al[i]) - ratio * beta)).ToArray(),
                    DpoLoss.SimPo(T(aw), T(al), beta, ratio));
        var (orpo, logOdds) = DpoLoss.OrpoOddsRatio(T(aw), T(al), 0.1);
        double[] lo = Enumerable.Range(0, 3).Select(i => (aw[i] - al[i]) - (Math.Log(1 - Math.Exp(aw[i])) - Math.Log(1 - Math.Exp(al[i])))).ToArray();
        AssertClose(lo, logOdds);
        AssertClose(lo.Select(x => -0.1 * LogSig(x)).ToArray(), orpo);
    }

    [Fact]
    public void Kto_desirable_and_undesirable()
    {
        using var scope = NewDisposeScope();
        double[] logRatio = { 0.4, -0.3, 1.2, -2.0 };
        bool[] good = { true, true, false, false };
        double[] mismatchP = { -5, -6, -7 }, mismatchR = { -5.5, -5.8, -7.6 };
        double z = Math.Max(0, ((-5 + 5.5) + (-6 + 5.8) + (-7 + 7.6)) / 3);
        var kl = KtoLoss.KlEstimate(T(mismatchP), T(mismatchR));
        Assert.Equal(z, kl.item<double>(), 12);
        Assert.False(kl.requires_grad);
        double beta = 0.1, wd = 1.0, wu = 1.33;
        var expected = logRatio.Select((d, i) => good[i] ? wd * (1 - Sig(beta * (d - z))) : wu * (1 - Sig(beta * (z - d)))).ToArray();
        AssertClose(expected, KtoLoss.Loss(T(logRatio), tensor(good), kl, beta, wd, wu));
        // A negative KL estimate is clamped to zero.
        Assert.Equal(0.0, KtoLoss.KlEstimate(T(new[] { -9.0 }), T(new[] { -1.0 })).item<double>());
    }

    [Fact]
    public void Bradley_terry_with_margin_and_centering()
    {
        using var scope = NewDisposeScope();
        double[] rc = { 1.2, -0.4, 0.0 }, rr = { 0.2, 0.3, 0.0 }, m = { 1.0, 2.0 / 3, 0.0 };
        double c = 0.01;
        var expected = Enumerable.Range(0, 3).Select(i => -LogSig(rc[i] - rr[i] - m[i]) + c * Math.Pow(rc[i] + rr[i], 2)).ToArray();
        AssertClose(expected, RewardLoss.BradleyTerry(T(rc), T(rr), T(m), c));
        AssertClose(Enumerable.Range(0, 3).Select(i => -LogSig(rc[i] - rr[i])).ToArray(), RewardLoss.BradleyTerry(T(rc), T(rr)));
    }

    [Fact]
    public void Dpo_gradient_matches_the_analytic_derivative()
    {
        // d/dh of −log σ(βh) = −β·σ(−βh): checked through autograd on the policy's chosen log-prob.
        using var scope = NewDisposeScope();
        var pw = tensor(new[] { -10.0 }, requires_grad: true);
        var h = DpoLoss.LogRatioMargin(pw, T(new[] { -12.0 }), T(new[] { -11.0 }), T(new[] { -11.5 }));
        DpoLoss.Sigmoid(h, 0.1).sum().backward();
        Assert.Equal(-0.1 * Sig(-0.1 * 1.5), pw.grad!.item<double>(), 12);
    }
}
