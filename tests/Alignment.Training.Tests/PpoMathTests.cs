using Alignment.Training.Losses;

namespace Alignment.Training.Tests;

// PPO arithmetic against its published formulas (stated in Losses/PpoMath.cs) worked in doubles (loops written independently here).
public class PpoMathTests
{
    private static Tensor M(double[,] a)
    {
        int b = a.GetLength(0), t = a.GetLength(1);
        var flat = new double[b * t];
        for (int i = 0; i < b; i++) for (int j = 0; j < t; j++) flat[i * t + j] = a[i, j];
        return tensor(flat, new long[] { b, t });
    }

    private static double[,] D(Tensor x)
    {
        var s = x.shape;
        var flat = x.data<double>();
        var a = new double[s[0], s[1]];
        for (int i = 0; i < s[0]; i++) for (int j = 0; j < s[1]; j++) a[i, j] = flat[i * s[1] + j];
        return a;
    }

    private static readonly double[,] Rewards = { { 0.1, -0.2, 1.5, 0 }, { 0.0, 0.3, 0, 0 } };
    private static readonly double[,] Values = { { 0.5, 0.4, 0.9, 0 }, { -0.1, 0.2, 0, 0 } };
    private static readonly double[,] Mask = { { 1, 1, 1, 0 }, { 1, 1, 0, 0 } };

    [Fact]
    public void Gae_matches_the_backward_recursion()
    {
        using var scope = NewDisposeScope();
        double gamma = 0.99, lam = 0.95;
        var (adv, ret) = PpoMath.Gae(M(Rewards), M(Values), M(Mask), gamma, lam);
        var a = D(adv);
        var r = D(ret);
        for (int b = 0; b < 2; b++)
        {
            double next = 0, nextV = 0;
            for (int t = 3; t >= 0; t--)
            {
                if (Mask[b, t] == 0) { Assert.Equal(0, a[b, t]); Assert.Equal(0, r[b, t]); continue; }
                double delta = Rewards[b, t] + gamma * nextV - Values[b, t];
                double at = delta + gamma * lam * next;
                Assert.Equal(at, a[b, t], 12);
                Assert.Equal(at + Values[b, t], r[b, t], 12);
                next = at;
                nextV = Values[b, t];
            }
        }
        // Hand-checked corner: the last token of row 1: δ = 0.3 − 0.2 = 0.1 = A.
        Assert.Equal(0.1, a[1, 1], 12);
    }

    [Fact]
    public void Kl_estimators_and_rewards()
    {
        using var scope = NewDisposeScope();
        double[,] lp = { { -1.0, -2.0 } }, rlp = { { -1.5, -1.0 } };
        var k1 = D(PpoMath.KlK1(M(lp), M(rlp)));
        Assert.Equal(0.5, k1[0, 0], 12);
        Assert.Equal(-1.0, k1[0, 1], 12);
        var k3 = D(PpoMath.KlK3(M(lp), M(rlp)));
        Assert.Equal(Math.Exp(-0.5) - 1 + 0.5, k3[0, 0], 12);
        Assert.Equal(Math.Exp(1) - 1 - 1, k3[0, 1], 12);
        // rewards: −0.05·kl on masked tokens, + score at the last completion token.
        var kl = M(new double[,] { { 0.2, 0.4, 0.6 }, { 1.0, 0.0, 0.0 } });
        var mask = M(new double[,] { { 1, 1, 1 }, { 1, 0, 0 } });
        var rw = D(PpoMath.Rewards(kl, mask, tensor(new[] { 2.0, -1.0 }), tensor(new long[] { 2, 0 }), 0.05));
        Assert.Equal(-0.01, rw[0, 0], 12);
        Assert.Equal(-0.03 + 2.0, rw[0, 2], 12);
        Assert.Equal(-0.05 - 1.0, rw[1, 0], 12);
        Assert.Equal(0, rw[1, 1]);
    }

    [Fact]
    public void Whiten_uses_masked_mean_and_unbiased_variance()
    {
        using var scope = NewDisposeScope();
        var x = M(new double[,] { { 1, 2, 3, 100 } });
        var mask = M(new double[,] { { 1, 1, 1, 0 } });
        var w = D(PpoMath.Whiten(x, mask));
        // masked mean 2, unbiased var 1 → (x−2)/sqrt(1+1e-8)
        Assert.Equal(-1 / Math.Sqrt(1 + 1e-8), w[0, 0], 12);
        Assert.Equal(0, w[0, 1], 12);
        Assert.Equal(0, w[0, 3]);
        var ws = D(PpoMath.Whiten(x, mask, shiftMean: false));
        Assert.Equal(2 + 1 / Math.Sqrt(1 + 1e-8), ws[0, 2], 12);
    }

    [Fact]
    public void Clipped_policy_and_value_losses()
    {
        using var scope = NewDisposeScope();
        double[,] newLp = { { -0.5, -1.0, -2.0 } }, oldLp = { { -1.0, -1.0, -1.0 } }, adv = { { 1.0, -0.5, 2.0 } };
        double[,] mask = { { 1, 1, 1 } };
        double eps = 0.2;
        var (loss, clipfrac, approxkl) = PpoMath.PolicyLoss(M(newLp), M(oldLp), M(adv), M(mask), eps);
        double sum = 0, clipped = 0, kl = 0;
        for (int t = 0; t < 3; t++)
        {
            double rho = Math.Exp(newLp[0, t] - oldLp[0, t]);
            double u = -adv[0, t] * rho, c = -adv[0, t] * Math.Clamp(rho, 1 - eps, 1 + eps);
            sum += Math.Max(u, c);
            clipped += c > u ? 1 : 0;
            kl += 0.5 * Math.Pow(newLp[0, t] - oldLp[0, t], 2);
        }
        Assert.Equal(sum / 3, loss.item<double>(), 12);
        Assert.Equal(clipped / 3, clipfrac.item<double>(), 12);
        Assert.Equal(kl / 3, approxkl.item<double>(), 12);
        Assert.Equal(1.0 / 3, clipfrac.item<double>(), 12);   // only token 0 (ρ = e^0.5 > 1.2 with A > 0) is clipped

        double[,] v = { { 1.0, 0.0, 0.5 } }, vOld = { { 0.5, 0.1, 0.5 } }, ret = { { 2.0, 0.3, 0.0 } };
        var (vloss, vclip) = PpoMath.ValueLoss(M(v), M(vOld), M(ret), M(mask), 0.2);
        double vs = 0, vc = 0;
        for (int t = 0; t < 3; t++)
        {
            double vcl = vOld[0, t] + Math.Clamp(v[0, t] - vOld[0, t], -0.2, 0.2);
            double lu = Math.Pow(v[0, t] - ret[0, t], 2), lc = Math.Pow(vcl - ret[0, t], 2);
            vs += Math.Max(lu, lc);
            vc += lc > lu ? 1 : 0;
        }
        Assert.Equal(0.5 * vs / 3, vloss.item<double>(), 12);
        Assert.Equal(vc / 3, vclip.item<double>(), 12);
    }

    [Fact]
    public void Adaptive_kl_controller_follows_the_update_rule()
    {
        var c = new AdaptiveKlController(0.2, target: 6, horizon: 10000);
        c.Update(9, 256);                      // e = clip(0.5) = 0.2
        Assert.Equal(0.2 * (1 + 0.2 * 256 / 10000.0), c.Value, 15);
        double before = c.Value;
        c.Update(5.7, 100);                    // e = -0.05
        Assert.Equal(before * (1 - 0.05 * 100 / 10000.0), c.Value, 15);
    }
}
