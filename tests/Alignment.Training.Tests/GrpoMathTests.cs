using System.Text.Json;
using Alignment.Models.Generation;
using Alignment.Training.Losses;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests;

// GRPO/RLOO advantages and losses, and log-probs under a processed sampling distribution, against an independent
// PyTorch computation: reference/grpo_reference.py wrote reference/grpo_golden.json (float64 except the sampling case,
// float32). Tolerance: 1e-9 for the advantages (double arithmetic on both sides), 1e-5 for losses, gradients and metrics
// (computed here in float32), 1e-5 for the sampling log-probs; the sft_alpha term (RAFT-style NLL on each group's best
// completions) at 1e-5.
public class GrpoMathTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "grpo_golden.json"))).RootElement;

    private static double[] Vector(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static double[][] Matrix(JsonElement e) => e.EnumerateArray().Select(Vector).ToArray();

    private static Tensor T(double[][] m) => tensor(m.SelectMany(r => r).Select(x => (float)x).ToArray(), new long[] { m.Length, m[0].Length });

    [Theory]
    [InlineData("group", ScaleRewards.Group)]
    [InlineData("batch", ScaleRewards.Batch)]
    [InlineData("none", ScaleRewards.None)]
    public void Group_advantages_match_pytorch(string name, ScaleRewards scale)
    {
        var rewards = Vector(Golden.GetProperty("rewards"));
        var (advantages, std) = GrpoMath.GroupAdvantages(rewards, Golden.GetProperty("group_size").GetInt32(), scale);
        var expected = Vector(Golden.GetProperty("advantages").GetProperty(name));
        for (int i = 0; i < rewards.Length; i++) Assert.Equal(expected[i], advantages[i], 1e-9);
        var expectedStd = Vector(Golden.GetProperty("group_std"));
        for (int i = 0; i < rewards.Length; i++) Assert.Equal(expectedStd[i], std[i], 1e-9);
    }

    [Fact]
    public void Leave_one_out_advantages_match_pytorch()
    {
        var advantages = GrpoMath.LeaveOneOutAdvantages(Vector(Golden.GetProperty("rewards")), Golden.GetProperty("group_size").GetInt32());
        var expected = Vector(Golden.GetProperty("rloo"));
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], advantages[i], 1e-9);
        // By hand: group 1 = (1, 0, 3, 0.5): A₂ = 3 − (1 + 0 + 0.5)/3 = 2.5.
        Assert.Equal(2.5, advantages[2], 12);
    }

    [Fact]
    public void Losses_gradients_and_clip_metrics_match_pytorch_in_every_aggregation()
    {
        int maxCompletion = Golden.GetProperty("max_completion_length").GetInt32();
        var advantages = Vector(Golden.GetProperty("group_advantages"));
        var cases = Golden.GetProperty("losses").EnumerateArray().ToList();
        Assert.Equal(8, cases.Count);
        foreach (var c in cases)
        {
            using var scope = NewDisposeScope();
            var logps = T(Matrix(Golden.GetProperty("logps"))).requires_grad_(true);
            var type = c.GetProperty("loss_type").GetString() switch
            {
                "grpo" => GrpoLossType.Grpo, "dr_grpo" => GrpoLossType.DrGrpo, "dapo" => GrpoLossType.Dapo, _ => GrpoLossType.Bnpo,
            };
            var result = GrpoMath.Loss(logps, T(Matrix(Golden.GetProperty("old"))), T(Matrix(Golden.GetProperty("ref"))),
                tensor(advantages.Select(x => (float)x).ToArray()), T(Matrix(Golden.GetProperty("mask"))),
                c.GetProperty("eps_low").GetDouble(), c.GetProperty("eps_high").GetDouble(), c.GetProperty("beta").GetDouble(),
                type, maxCompletion, c.GetProperty("generation_tokens").GetDouble());
            string label = $"{type} beta {c.GetProperty("beta").GetDouble()}";
            Assert.True(Math.Abs(c.GetProperty("loss").GetDouble() - result.Loss.item<float>()) < 1e-5, $"{label}: loss {result.Loss.item<float>()} vs {c.GetProperty("loss").GetDouble()}");
            Assert.True(Math.Abs(c.GetProperty("kl").GetDouble() - result.Kl.item<float>()) < 1e-5, label);
            Assert.True(Math.Abs(c.GetProperty("clip_low").GetDouble() - result.ClipLow.item<float>()) < 1e-6, label);
            Assert.True(Math.Abs(c.GetProperty("clip_high").GetDouble() - result.ClipHigh.item<float>()) < 1e-6, label);
            Assert.True(Math.Abs(c.GetProperty("clip_region").GetDouble() - result.ClipRegion.item<float>()) < 1e-6, label);
            result.Loss.backward();
            var grad = logps.grad!.to(float64).data<double>();
            var expected = Matrix(c.GetProperty("grad")).SelectMany(r => r).ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - grad[i]) < 1e-5, $"{label}: grad[{i}] {grad[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void The_sft_term_trains_on_each_groups_best_completions_as_pytorch_computes_it()
    {
        var sft = Golden.GetProperty("sft");
        var selected = GrpoMath.GroupBest(Vector(sft.GetProperty("rewards")), Golden.GetProperty("group_size").GetInt32());
        Assert.Equal(Vector(sft.GetProperty("selected")), selected.Select(x => x ? 1.0 : 0.0));
        // By hand: group 1 (3, 1, 3, −1) has two winners; group 2 (2, 2, 2, 2) has none.
        Assert.Equal([true, false, true, false, false, false, false, false], selected);
        var advantages = Vector(Golden.GetProperty("group_advantages"));
        foreach (var c in sft.GetProperty("cases").EnumerateArray())
        {
            using var scope = NewDisposeScope();
            var logps = T(Matrix(Golden.GetProperty("logps"))).requires_grad_(true);
            var type = c.GetProperty("loss_type").GetString() == "grpo" ? GrpoLossType.Grpo : GrpoLossType.Dapo;
            var result = GrpoMath.Loss(logps, T(Matrix(Golden.GetProperty("old"))), null, tensor(advantages.Select(x => (float)x).ToArray()),
                T(Matrix(Golden.GetProperty("mask"))), 0.2, 0.28, 0, type, Golden.GetProperty("max_completion_length").GetInt32(), 50.0,
                tensor(selected.Select(x => x ? 1f : 0f).ToArray()), c.GetProperty("alpha").GetDouble(), c.GetProperty("sft_tokens").GetDouble());
            Assert.True(Math.Abs(c.GetProperty("loss").GetDouble() - result.Loss.item<float>()) < 1e-5, $"{type}: loss {result.Loss.item<float>()} vs {c.GetProperty("loss").GetDouble()}");
            Assert.True(Math.Abs(c.GetProperty("nll").GetDouble() - result.Nll.item<float>()) < 1e-5, $"{type}: nll {result.Nll.item<float>()}");
            result.Loss.backward();
            var grad = logps.grad!.to(float64).data<double>();
            var expected = Matrix(c.GetProperty("grad")).SelectMany(r => r).ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - grad[i]) < 1e-5, $"{type}: grad[{i}] {grad[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void Sampled_tokens_log_probs_come_from_the_processed_distribution_at_temperature_0_7_with_top_p()
    {
        using var scope = NewDisposeScope();
        var s = Golden.GetProperty("sampling");
        var logits3 = s.GetProperty("logits").EnumerateArray().Select(Matrix).ToArray();   // (2, 5, V)
        int b = logits3.Length, t = logits3[0].Length, v = logits3[0][0].Length;
        var logits = tensor(logits3.SelectMany(r => r.SelectMany(x => x)).Select(x => (float)x).ToArray(), new long[] { b, t, v });
        // Position k predicts label k + 1: labels get a leading ignored column, logits a trailing unused row.
        var raw = s.GetProperty("labels").EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();
        var withLast = tensor(raw.SelectMany(r => new long[] { SequenceLogpsIgnore }.Concat(r)).ToArray(), new long[] { b, t + 1 });
        var padded = torch.cat([logits, zeros(b, 1, v)], 1);
        var options = new GenerationOptions { DoSample = true, Temperature = s.GetProperty("temperature").GetDouble(), TopP = s.GetProperty("top_p").GetDouble() };
        var (logprobs, keep) = SamplingLogprobs.Of(padded, withLast, options);
        Assert.NotNull(keep);
        var got = logprobs.to(float64).data<double>();
        var expected = Matrix(s.GetProperty("logps"));
        for (int r = 0; r < b; r++)
            for (int k = 0; k < t; k++)
                Assert.True(Math.Abs(expected[r][k] - got[r * t + k]) < 1e-5, $"[{r},{k}] {got[r * t + k]} vs {expected[r][k]}");
    }

    private const long SequenceLogpsIgnore = -100;
}
