using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;
using static Alignment.Torch.torch.optim.lr_scheduler;

namespace Alignment.Torch.Tests;

// The Hugging Face warmup schedules against their formulas (transformers/optimization.py), computed here,
// and against values worked out by hand. PyTorch convention: the lr after n calls to step() is base · λ(n).
public class LRSchedulerTests : IDisposable
{
    private const double BaseLr = 0.1;
    private const int Warmup = 10, Total = 110;
    private readonly Parameter p = new(zeros(1));

    public void Dispose() => p.Dispose();

    private static double Constant(int s) => s < Warmup ? (double)s / Warmup : 1.0;

    private static double Linear(int s) => s < Warmup ? (double)s / Warmup : Math.Max(0.0, (double)(Total - s) / (Total - Warmup));

    private static double Cosine(int s) =>
        s < Warmup ? (double)s / Warmup : Math.Max(0.0, 0.5 * (1 + Math.Cos(Math.PI * (s - Warmup) / (Total - Warmup))));

    private static readonly int[] Steps = { 0, 1, 5, 9, 10, 11, 35, 60, 109, 110, 130 };

    private (SGD opt, LambdaLR sched) Make(string name)
    {
        var opt = new SGD(new[] { p }, BaseLr);
        return (opt, get_scheduler(name, opt, Warmup, Total));
    }

    private void CheckAgainst(string name, Func<int, double> formula)
    {
        var (opt, sched) = Make(name);
        using (opt)
        {
            int at = 0;
            foreach (int target in Steps)
            {
                while (at < target) { sched.step(); at++; }
                Assert.Equal(target, sched.last_epoch);
                double expected = BaseLr * formula(target);
                Assert.Equal(expected, sched.get_last_lr()[0], 15);
                Assert.Equal(expected, opt.param_groups[0].lr, 15);
            }
        }
    }

    [Fact]
    public void Constant_with_warmup_follows_its_formula() => CheckAgainst("constant", Constant);

    [Fact]
    public void Linear_with_warmup_follows_its_formula() => CheckAgainst("linear", Linear);

    [Fact]
    public void Cosine_with_warmup_follows_its_formula() => CheckAgainst("cosine", Cosine);

    [Theory]
    [InlineData("linear", 0, 0.0)]        // warmup starts at 0
    [InlineData("linear", 5, 0.05)]       // half way through warmup
    [InlineData("linear", 10, 0.1)]       // end of warmup: the base lr
    [InlineData("linear", 60, 0.05)]      // (110 − 60) / 100 of the base
    [InlineData("linear", 110, 0.0)]      // 0 at num_training_steps
    [InlineData("linear", 200, 0.0)]      // and after
    [InlineData("cosine", 60, 0.05)]      // progress ½: ½(1 + cos(π/2)) = ½
    [InlineData("cosine", 35, 0.085355339059327376)]   // progress ¼: ½(1 + √½)
    [InlineData("cosine", 110, 0.0)]      // ½(1 + cos π) = 0
    [InlineData("constant", 3, 0.03)]
    [InlineData("constant", 500, 0.1)]
    public void Schedules_give_hand_computed_values(string name, int step, double lr)
    {
        var (opt, sched) = Make(name);
        using (opt)
        {
            for (int i = 0; i < step; i++) sched.step();
            Assert.Equal(lr, sched.get_last_lr()[0], 12);
        }
    }

    [Fact]
    public void Every_group_is_scaled_from_its_own_base_rate()
    {
        using var q = new Parameter(zeros(1));
        using var opt = new AdamW(new[] { new ParamGroup(new[] { p }), new ParamGroup(new[] { q }, lr: 0.5) }, lr: 0.1);
        var sched = get_linear_schedule_with_warmup(opt, 4, 8);
        sched.step();
        sched.step();
        Assert.Equal(new[] { 0.05, 0.25 }, sched.get_last_lr());
        Assert.Equal(new[] { 0.1, 0.5 }, sched.base_lrs);
        Assert.Equal(0.5, opt.param_groups[1].initial_lr);
    }

    [Fact]
    public void Unknown_names_list_the_valid_ones()
    {
        using var opt = new SGD(new[] { p }, 0.1);
        var e = Assert.Throws<TorchException>(() => get_scheduler("polynomial", opt, 0, 10));
        Assert.Contains("constant, constant_with_warmup, linear, cosine", e.Message);
        Assert.Equal(1.0 * 0.1, get_scheduler("COSINE", opt, 0, 10).get_last_lr()[0]);
    }

    [Fact]
    public void State_round_trip_resumes_the_schedule_and_a_different_schedule_is_refused()
    {
        using var opt = new SGD(new[] { p }, BaseLr);
        var sched = get_cosine_schedule_with_warmup(opt, Warmup, Total);
        for (int i = 0; i < 37; i++) sched.step();
        var state = sched.state_dict();
        sched.step();
        double next = sched.get_last_lr()[0];

        using var opt2 = new SGD(new[] { p }, BaseLr);
        var resumed = get_cosine_schedule_with_warmup(opt2, Warmup, Total);
        resumed.load_state_dict(state);
        Assert.Equal(37, resumed.last_epoch);
        Assert.Equal(state.last_lr[0], opt2.param_groups[0].lr);
        resumed.step();
        Assert.Equal(next, resumed.get_last_lr()[0]);

        var other = get_cosine_schedule_with_warmup(opt2, Warmup, Total + 1);
        var e = Assert.Throws<TorchException>(() => other.load_state_dict(state));
        Assert.Contains("num_training_steps=110", e.Message);
    }
}
