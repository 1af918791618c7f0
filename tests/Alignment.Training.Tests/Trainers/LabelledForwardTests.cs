using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Losses;
using Alignment.Training.Trainers;
using static Alignment.Torch.torch;

namespace Alignment.Training.Tests.Trainers;

// LabelledForward applies the LM head to labelled positions only; it must give what the full-logits composition gives:
// SequenceLogps.Compute(model.forward(ids, mask).logits, labels), values and gradients of every parameter.
// Float64 models; tolerance atol 1e-12 / rtol 1e-10 (only the summation order differs).
public class LabelledForwardTests
{
    private static TokenBatch Batch()
    {
        var rows = new List<(int[] ids, int[] labels)>
        {
            Collator.Join([1, 2, 3, 4, 5], [6, 7, 8]),        // prompt 5, answer 3
            Collator.Join([9], [10, 11, 12, 13, 14, 15, 16]), // prompt 1, answer 7 (longest row: no padding)
            Collator.Join([17, 18, 19], [20]),                // one answer token, padded by 4
            Collator.Join([21, 22, 23, 24, 25, 26], [27, 28]),
        };
        return Collator.Build(rows, padId: 0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Scoring_only_labelled_positions_equals_scoring_the_full_logits(bool tied)
    {
        using var scope = NewDisposeScope();
        var config = TinyModels.Config("llama", vocab: 40, hidden: 16, layers: 2, heads: 4, kvHeads: 2, intermediate: 24, tied: tied);
        using var g1 = new Generator(3);
        using var g2 = new Generator(3);
        using var full = LlamaForCausalLM.from_config(config, g1, ScalarType.Float64);
        using var labelled = LlamaForCausalLM.from_config(config, g2, ScalarType.Float64);
        using var batch = Batch();

        var (expectedSum, expectedCount) = SequenceLogps.Compute(full.forward(batch.InputIds, batch.AttentionMask).logits, batch.Labels);
        var got = LabelledForward.Run(labelled, batch.InputIds, batch.AttentionMask, batch.Labels);

        double[] e = expectedSum.data<double>(), a = got.Sum.data<double>();
        for (int i = 0; i < e.Length; i++) Assert.True(Math.Abs(e[i] - a[i]) <= 1e-12 + 1e-10 * Math.Abs(e[i]), $"row {i}: {e[i]} vs {a[i]}");
        Assert.Equal(expectedCount.data<double>(), got.Count.data<double>());
        Assert.Equal([3.0, 7.0, 1.0, 2.0], got.Count.data<double>());        // the answers' lengths, by hand
        Assert.Equal(13, got.Logits.size(0));                                 // 3 + 7 + 1 + 2 scored positions, not 4 × 8
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 2, 3, 3 }, got.Rows.data<long>());

        // Weighted so every row's gradient counts differently.
        (expectedSum * tensor(new[] { 1.0, -2.0, 0.5, 3.0 })).sum().backward();
        (got.Sum * tensor(new[] { 1.0, -2.0, 0.5, 3.0 })).sum().backward();
        var expectedGrads = full.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!);
        foreach (var (name, p) in labelled.named_parameters())
        {
            double[] ge = expectedGrads[name].contiguous().data<double>(), ga = p.grad!.contiguous().data<double>();
            for (int i = 0; i < ge.Length; i++)
                Assert.True(Math.Abs(ge[i] - ga[i]) <= 1e-12 + 1e-10 * Math.Abs(ge[i]), $"{name}[{i}]: {ge[i]} vs {ga[i]}");
        }
    }
}
