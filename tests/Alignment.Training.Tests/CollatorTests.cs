using Alignment.Training.Batching;
using Alignment.Training.Features;
using Alignment.Training.Losses;

namespace Alignment.Training.Tests;

public class CollatorTests
{
    [Fact]
    public void Preference_batch_stacks_chosen_then_rejected_with_completion_labels()
    {
        using var scope = NewDisposeScope();
        var rows = new[]
        {
            new PreferenceFeatures(new[] { 1, 2 }, new[] { 3, 9 }, new[] { 4 }, null, 1),
            new PreferenceFeatures(new[] { 5 }, new[] { 6, 7, 9 }, new[] { 8, 9 }, 0.5, 2),
        };
        using var b = Collator.Preference(rows, padId: 0);
        Assert.Equal(new long[] { 4, 4 }, b.InputIds.shape);
        Assert.Equal(new long[] { 1, 2, 3, 9, 5, 6, 7, 9, 1, 2, 4, 0, 5, 8, 9, 0 }, b.InputIds.data<long>());
        Assert.Equal(new long[] { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 0 }, b.AttentionMask.data<long>());
        Assert.Equal(new long[] { -100, -100, 3, 9, -100, 6, 7, 9, -100, -100, 4, -100, -100, 8, 9, -100 }, b.Labels.data<long>());
        Assert.Equal(14, b.RealTokens);
    }

    [Fact]
    public void Sequence_logps_sum_the_next_token_log_probs_of_labelled_positions()
    {
        using var scope = NewDisposeScope();
        // B=1, T=3, V=2: position 0 predicts labels[1], position 1 predicts labels[2].
        var logits = tensor(new double[] { 0, 1, 2, 0, 5, 5 }, new long[] { 1, 3, 2 });
        var labels = tensor(new long[] { -100, 1, 0 }, new long[] { 1, 3 });
        var (sum, count) = SequenceLogps.Compute(logits, labels);
        double lp1 = 1 - Math.Log(Math.Exp(0) + Math.Exp(1));   // log softmax([0,1])[1]
        double lp2 = 2 - Math.Log(Math.Exp(2) + Math.Exp(0));   // log softmax([2,0])[0]
        Assert.Equal(lp1 + lp2, sum.item<double>(), 12);
        Assert.Equal(2.0, count.item<double>());
        var (sum2, count2) = SequenceLogps.Compute(logits, tensor(new long[] { 0, -100, 0 }, new long[] { 1, 3 }));
        Assert.Equal(lp2, sum2.item<double>(), 12);
        Assert.Equal(1.0, count2.item<double>());
    }
}
