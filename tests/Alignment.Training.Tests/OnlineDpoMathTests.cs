using System.Text.Json;
using Alignment.Training.Losses;

namespace Alignment.Training.Tests;

// Online DPO's loss, gradient and TRL metrics on fixed log-probs against an independent PyTorch computation:
// reference/online_dpo_reference.py wrote reference/online_dpo_golden.json (float64). Tolerance 1e-5 (computed here in
// float32); the 0/1 and count metrics exactly.
public class OnlineDpoMathTests
{
    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "reference", "online_dpo_golden.json"))).RootElement;

    private static double[] Vector(JsonElement e) => e.EnumerateArray().Select(x => x.GetDouble()).ToArray();

    private static double[][] Matrix(JsonElement e) => e.EnumerateArray().Select(Vector).ToArray();

    private static Tensor T(double[][] m) => tensor(m.SelectMany(r => r).Select(x => (float)x).ToArray(), new long[] { m.Length, m[0].Length });

    [Fact]
    public void Loss_gradient_and_trl_metrics_match_pytorch_for_sigmoid_and_ipo()
    {
        var rewards = Vector(Golden.GetProperty("rewards"));
        var cases = Golden.GetProperty("cases").EnumerateArray().ToList();
        Assert.Equal(3, cases.Count);
        foreach (var c in cases)
        {
            using var scope = NewDisposeScope();
            var logps = T(Matrix(Golden.GetProperty("logps"))).requires_grad_(true);
            double beta = c.GetProperty("beta").GetDouble();
            var type = c.GetProperty("loss_type").GetString() == "ipo" ? OnlineDpoLossType.Ipo : OnlineDpoLossType.Sigmoid;
            string label = $"{type} beta {beta}";
            var result = OnlineDpoMath.Compute(logps, T(Matrix(Golden.GetProperty("ref"))), T(Matrix(Golden.GetProperty("mask"))), rewards, beta, type);
            double loss = result.Loss.item<float>(), expectedLoss = c.GetProperty("loss").GetDouble();
            Assert.True(Math.Abs(expectedLoss - loss) < 1e-5 * Math.Max(1, Math.Abs(expectedLoss)), $"{label}: loss {loss} vs {expectedLoss}");
            var metrics = result.Metrics.ToDictionary(kv => kv.Key, kv => kv.Value);
            foreach (var m in c.GetProperty("metrics").EnumerateObject())
            {
                Assert.True(metrics.ContainsKey(m.Name), $"{label}: metric {m.Name} missing");
                Assert.True(Math.Abs(m.Value.GetDouble() - metrics[m.Name]) < 1e-5, $"{label}: {m.Name} {metrics[m.Name]} vs {m.Value.GetDouble()}");
            }
            Assert.Equal(c.GetProperty("metrics").EnumerateObject().Count(), metrics.Count);
            result.Loss.backward();
            var grad = logps.grad!.to(float64).data<double>();
            var expected = Matrix(c.GetProperty("grad")).SelectMany(r => r).ToArray();
            for (int i = 0; i < expected.Length; i++) Assert.True(Math.Abs(expected[i] - grad[i]) < 1e-5, $"{label}: grad[{i}] {grad[i]} vs {expected[i]}");
        }
    }

    [Fact]
    public void The_higher_reward_is_chosen_and_a_tie_takes_the_first_sample_out_of_the_loss()
    {
        // By hand: pairs (1 | 0), (0 | 3), (2 | 2): the first sample, the second, and a tie (first chosen, no loss).
        var (first, tied) = OnlineDpoMath.Rank([1.0, 0.0, 2.0, 0.0, 3.0, 2.0]);
        Assert.Equal([true, false, true], first);
        Assert.Equal([false, false, true], tied);
        using var scope = NewDisposeScope();
        // One pair that ties: nothing to learn, the loss is 0 and so is its gradient.
        var logps = tensor(new[] { -1f, -2f, -3f, -0.5f }, new long[] { 2, 2 }).requires_grad_(true);
        var result = OnlineDpoMath.Compute(logps, zeros(2, 2), ones(2, 2), [1.0, 1.0], 0.1, OnlineDpoLossType.Sigmoid);
        Assert.Equal(0.0, result.Loss.item<float>());
        // Untied, policy = reference: h = 0, loss = log 2 (−log σ(0)).
        var same = tensor(new[] { -1f, -2f, -3f, -0.5f }, new long[] { 2, 2 });
        Assert.Equal(Math.Log(2), OnlineDpoMath.Compute(same, same, ones(2, 2), [1.0, 0.0], 0.1, OnlineDpoLossType.Sigmoid).Loss.item<float>(), 6);
    }
}
