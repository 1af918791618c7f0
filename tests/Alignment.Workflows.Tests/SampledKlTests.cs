using Alignment.Workflows.Evaluation;

namespace Alignment.Workflows.Tests;

public sealed class SampledKlTests
{
    [Fact]
    public void K1_and_k3_by_hand()
    {
        // One answer of two tokens: log π = (−1, −2), log πbase = (−1.5, −1) → u = (−0.5, 1).
        // k1 = −Σu = −0.5; k3 = (e^−0.5 − 1 + 0.5) + (e^1 − 1 − 1) = 0.1065307 + 0.7182818 = 0.8248125. Tolerance 1e-7.
        var kl = SampledKl.From([[-1.0, -2.0]], [[-1.5, -1.0]]);
        Assert.Equal(1, kl.Samples);
        Assert.Equal(-0.5, kl.K1, 12);
        Assert.Equal(0.8248125, kl.K3, 7);
    }

    [Fact]
    public void Both_estimates_converge_to_the_exact_kl_of_two_known_distributions()
    {
        // π = (0.7, 0.2, 0.1), πbase = (0.4, 0.4, 0.2): KL(π‖πbase) = Σ π log(π/πbase) = 0.7 ln 1.75 + 0.2 ln 0.5 + 0.1 ln 0.5
        // = 0.3917... − 0.2079... = 0.1838. 200,000 one-token "answers" sampled from π with a fixed seed; both estimators are
        // unbiased, so their means lie within 0.01 of it (about 10 standard errors here).
        double[] p = [0.7, 0.2, 0.1], q = [0.4, 0.4, 0.2];
        double exact = Enumerable.Range(0, 3).Sum(i => p[i] * Math.Log(p[i] / q[i]));
        var random = new Random(42);
        var policy = new List<double[]>();
        var baseline = new List<double[]>();
        for (int n = 0; n < 200_000; n++)
        {
            double u = random.NextDouble();
            int token = u < p[0] ? 0 : u < p[0] + p[1] ? 1 : 2;
            policy.Add([Math.Log(p[token])]);
            baseline.Add([Math.Log(q[token])]);
        }
        var kl = SampledKl.From(policy, baseline);
        Assert.Equal(exact, kl.K1, 0.01);
        Assert.Equal(exact, kl.K3, 0.01);
    }
}
