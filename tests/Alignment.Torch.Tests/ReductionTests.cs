namespace Alignment.Torch.Tests;

// Reductions and elementwise functions against values computed by hand (or System.Math).
public class ReductionTests
{
    [Fact]
    public void Sum_mean_var_with_dims_and_keepdim()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new double[] { 1, 2, 3, 4, 5, 9 }, new long[] { 2, 3 });
        Assert.Equal(24.0, x.sum().item<double>());
        Assert.Equal(new double[] { 5, 7, 12 }, x.sum(0).data<double>());
        Assert.Equal(new long[] { 1, 1 }, x.sum(keepdim: true).shape);
        Assert.Equal(24.0, x.sum(keepdim: true).item<double>());
        Assert.Equal(ScalarType.Float32, x.sum(dtype: ScalarType.Float32).dtype);
        Assert.Equal(4.0, x.mean().item<double>());
        Assert.Equal(new long[] { 2, 1 }, x.sum(1, keepdim: true).shape);
        Assert.Equal(new double[] { 2, 6 }, x.mean(1).data<double>());
        // sample variance of rows: [1,2,3] -> 1 ; [4,5,9] -> mean 6, ((4)+(1)+(9))/2 = 7
        Assert.Equal(new double[] { 1, 7 }, x.var(1).data<double>());
        // population variance of all: mean 4, squares (9+4+1+0+1+25)/6 = 40/6
        Assert.Equal(40.0 / 6, x.var(correction: 0).item<double>(), 12);
        Assert.Equal(new double[] { 1, 3, 6, 4, 9, 18 }, x.cumsum(1).data<double>());
        Assert.Equal(Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3)), x.logsumexp(1).data<double>()[0], 12);
        Assert.Equal(Math.Sqrt(1 + 4 + 9 + 16 + 25 + 81), x.norm().item<double>(), 12);
    }

    [Fact]
    public void Max_min_argmax_topk_sort()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 3, 1, 4, 1, 5, 9 }, new long[] { 2, 3 });
        Assert.Equal(9f, x.max().item<float>());
        Assert.Equal(1f, x.min().item<float>());
        var (values, indexes) = x.max(1);
        Assert.Equal(new float[] { 4, 9 }, values.data<float>());
        Assert.Equal(new long[] { 2, 2 }, indexes.data<long>());
        Assert.Equal(new long[] { 1, 0 }, x.argmin(1).data<long>());
        Assert.Equal(5L, x.argmax().item<long>());
        var (tv, ti) = x.flatten().topk(2);
        Assert.Equal(new float[] { 9, 5 }, tv.data<float>());
        Assert.Equal(new long[] { 5, 4 }, ti.data<long>());
        var (sv, _) = x.flatten().sort(descending: true);
        Assert.Equal(new float[] { 9, 5, 4, 3, 1, 1 }, sv.data<float>());
        Assert.True((x > 0).all().item<bool>());
        Assert.False((x > 8).all().item<bool>());
        Assert.True((x > 8).any().item<bool>());
    }

    [Fact]
    public void Elementwise_functions_match_their_formulas()
    {
        using var scope = NewDisposeScope();
        double[] v = { -2.5, -0.3, 0, 0.7, 3 };
        var x = tensor(v);
        void Check(Tensor t, Func<double, double> f)
        {
            var got = t.data<double>();
            for (int i = 0; i < v.Length; i++) Assert.Equal(f(v[i]), got[i], 12);
        }
        double Sig(double a) => 1 / (1 + Math.Exp(-a));
        Check(x.exp(), Math.Exp);
        Check(x.tanh(), Math.Tanh);
        Check(x.sigmoid(), Sig);
        Check(x.silu(), a => a * Sig(a));
        Check(x.softplus(), a => Math.Log(1 + Math.Exp(a)));
        Check(x.logsigmoid(), a => Math.Log(Sig(a)));
        Check(x.abs(), Math.Abs);
        Check(x.clamp(-1, 1), a => Math.Clamp(a, -1, 1));
        Check(x.clamp(min: 0.5), a => Math.Max(a, 0.5));
        Check(x.pow(2), a => a * a);
        Check(x.abs().sqrt(), a => Math.Sqrt(Math.Abs(a)));
        Check((x.abs() + 1).rsqrt(), a => 1 / Math.Sqrt(Math.Abs(a) + 1));
        Check((x.abs() + 1).log(), a => Math.Log(Math.Abs(a) + 1));
        // exact GELU: x·Φ(x) = x/2·(1 + erf(x/√2)); erf via its Maclaurin series (converges for |x| ≤ 3/√2).
        static double Erf(double z)
        {
            double sum = 0, term = z;
            for (int n = 0; n < 80; n++)
            {
                sum += term / (2 * n + 1);
                term *= -z * z / (n + 1);
            }
            return 2 / Math.Sqrt(Math.PI) * sum;
        }
        Check(x.gelu(), a => a / 2 * (1 + Erf(a / Math.Sqrt(2))));
        Check(x.gelu("tanh"), a => 0.5 * a * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (a + 0.044715 * a * a * a))));
    }

    [Fact]
    public void Softmax_cross_entropy_embedding_linear_match_hand_computation()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new double[] { 1, 2, 3, 1, 1, 1 }, new long[] { 2, 3 });
        double z = Math.Exp(1) + Math.Exp(2) + Math.Exp(3);
        var sm = nn.functional.softmax(logits, 1).data<double>();
        Assert.Equal(Math.Exp(3) / z, sm[2], 12);
        Assert.Equal(1.0 / 3, sm[4], 12);
        var lsm = nn.functional.log_softmax(logits, 1).data<double>();
        Assert.Equal(1 - Math.Log(z), lsm[0], 12);
        var target = tensor(new long[] { 2, -100 });
        // Only row 0 counts: -log p(2) = log z - 3
        Assert.Equal(Math.Log(z) - 3, nn.functional.cross_entropy(logits, target).item<double>(), 12);
        var perRow = nn.functional.cross_entropy(logits, tensor(new long[] { 0, 1 }), reduction: nn.Reduction.None).data<double>();
        Assert.Equal(Math.Log(z) - 1, perRow[0], 12);
        Assert.Equal(Math.Log(3), perRow[1], 12);

        var table = tensor(new float[] { 0, 0, 1, 1, 2, 2 }, new long[] { 3, 2 });
        Assert.Equal(new float[] { 2, 2, 1, 1 }, nn.functional.embedding(tensor(new long[] { 2, 1 }), table).data<float>());

        var w = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 });     // (out, in)
        var b = tensor(new float[] { 10, 20 });
        var xin = tensor(new float[] { 1, 1 }, new long[] { 1, 2 });
        Assert.Equal(new float[] { 13, 27 }, nn.functional.linear(xin, w, b).data<float>());
        Assert.Equal(new float[] { 3, 7 }, nn.functional.linear(xin, w).data<float>());
        Assert.Equal(new float[] { 3, 7 }, xin.matmul(w.t()).data<float>());
        var batch = ones(4, 2, 3).bmm(ones(4, 3, 5));
        Assert.Equal(new long[] { 4, 2, 5 }, batch.shape);
        Assert.Equal(3f, batch.max().item<float>());
    }

    [Fact]
    public void Dropout_scales_kept_values_and_is_identity_in_eval()
    {
        using var scope = NewDisposeScope();
        manual_seed(7);
        var x = ones(10000);
        var y = nn.functional.dropout(x, 0.25);
        var kept = (y > 0).to(ScalarType.Float32).mean().item<float>();
        Assert.InRange(kept, 0.73f, 0.77f);                                   // ~75% kept (σ ≈ 0.4%)
        Assert.Equal(1 / 0.75f, y.max().item<float>(), 5);                    // survivors scaled by 1/(1-p)
        Assert.Equal(10000f, nn.functional.dropout(x, 0.25, training: false).sum().item<float>());
    }
}
