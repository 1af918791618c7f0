using System.Text.Json;
using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;

namespace Alignment.Torch.Tests;

// GaLoreAdamW against galore_torch's GaLoreAdamW written out in PyTorch (Fixtures/make_galore_golden.py): three steps
// with the projection refreshed at steps 0 and 2 (update_proj_gap 2), rank 2, scale 0.25, weight decay 0.1, one 8×6
// and one 5×9 weight (projected) and a 4-vector (plain Adam), for each proj_type. Tolerance 1e-5 absolute (float32).
public class GaLoreTests
{
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "galore_golden.json"))).RootElement;

    private static Tensor T(JsonElement e)
    {
        if (e[0].ValueKind != JsonValueKind.Array) return tensor(e.EnumerateArray().Select(x => x.GetSingle()).ToArray());
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
    }

    [Theory]
    [InlineData("std")]
    [InlineData("reverse_std")]
    [InlineData("left")]
    [InlineData("right")]
    public void Three_steps_equal_the_reference_projected_adam_update(string projType)
    {
        var c = Golden.GetProperty("cases").GetProperty(projType);
        using var scope = NewDisposeScope();
        var ps = c.GetProperty("start").EnumerateArray().Select(e => new Parameter(T(e))).ToList();
        var groups = new[] { new ParamGroup(ps.Take(2)), new ParamGroup(ps.Skip(2)) };
        double D(string k) => Golden.GetProperty(k).GetDouble();
        using var opt = new GaLoreAdamW(groups, [0], (int)D("rank"), (int)D("gap"), D("scale"), projType, D("lr"), D("beta1"), D("beta2"), D("eps"), D("weight_decay"));
        var grads = c.GetProperty("grads").EnumerateArray().ToList();
        var expected = c.GetProperty("params").EnumerateArray().ToList();
        for (int t = 0; t < grads.Count; t++)
        {
            var g = grads[t].EnumerateArray().ToList();
            for (int i = 0; i < ps.Count; i++) ps[i].grad = T(g[i]);
            opt.step();
            var want = expected[t].EnumerateArray().ToList();
            for (int i = 0; i < ps.Count; i++)
            {
                double d = T(want[i]).sub(ps[i]).abs().max().item<float>();
                Assert.True(d < 1e-5, $"{projType} step {t + 1} parameter {i}: max |Δ| {d:E2}");
            }
        }
        var shapes = c.GetProperty("state_shapes").EnumerateArray().Select(s => s.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToList();
        for (int i = 0; i < ps.Count; i++) Assert.Equal(shapes[i], opt.state_of(ps[i])!.tensors["exp_avg"].shape);
        // 8×6 right-projected (std): moments 2 × 8×2 + projection 2×6; 5×9 left: 2 × 2×9 + 5×2; the vector 2 × 4 — floats.
        if (projType == "std") Assert.Equal((2 * 16 + 12 + 2 * 18 + 10 + 8) * 4, opt.state_bytes());
    }

    [Fact]
    public void The_state_saves_and_loads_with_its_projected_shapes_and_a_too_high_rank_is_refused()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        var w = new Parameter(randn([6, 4], generator: g));
        using var opt = new GaLoreAdamW([new ParamGroup([w])], [0], rank: 2, update_proj_gap: 5);
        w.grad = randn([6, 4], generator: g);
        opt.step();
        var state = opt.state_dict();
        var w2 = new Parameter(w.detach().clone());
        using var opt2 = new GaLoreAdamW([new ParamGroup([w2])], [0], rank: 2, update_proj_gap: 5);
        opt2.load_state_dict(state);
        var grad = randn([6, 4], generator: g);
        w.grad = grad;
        w2.grad = grad.clone();
        opt.step();
        opt2.step();
        Assert.Equal(0, w.sub(w2).abs().max().item<float>());

        var e = Assert.Throws<TorchException>(() => new GaLoreAdamW([new ParamGroup([w])], [0], rank: 5));
        Assert.Contains("rank 5 is above the size", e.Message);
    }
}
