using Alignment.Models.Heads;
using Alignment.Torch;
using Alignment.Training.Batching;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>Scores whole sequences (prompt + completion): a reward model, or a scripted reward.</summary>
public interface ISequenceScorer
{
    /// <param name="sequences">Prompt ids followed by completion ids.</param>
    /// <param name="promptLengths">Where each completion starts.</param>
    double[] Score(IReadOnlyList<int[]> sequences, IReadOnlyList<int> promptLengths);
}

/// <summary>A reward model's score of each sequence, pooled at its last token, in eval mode without gradients.</summary>
public sealed class RewardModelScorer(LlamaForSequenceClassification model, int padId, int batchSize = 8) : ISequenceScorer, IDisposable
{
    public static RewardModelScorer Load(string folder, ScalarType dtype, int padId, int batchSize = 8)
    {
        var rm = LlamaForSequenceClassification.from_pretrained(folder, dtype: dtype);
        rm.eval();
        return new RewardModelScorer(rm, padId, batchSize);
    }

    public double[] Score(IReadOnlyList<int[]> sequences, IReadOnlyList<int> promptLengths)
    {
        var scores = new double[sequences.Count];
        using var noGrad = no_grad();
        var order = Enumerable.Range(0, sequences.Count).OrderBy(i => sequences[i].Length).ToArray();
        foreach (var chunk in order.Chunk(Math.Max(1, batchSize)))
        {
            using var scope = NewDisposeScope();
            using var batch = Collator.Build(chunk.Select(i => (sequences[i], sequences[i])).ToList(), padId);
            var values = model.forward(batch.InputIds, batch.AttentionMask).logits.select(1, 0).to(float64).data<double>();
            for (int k = 0; k < chunk.Length; k++) scores[chunk[k]] = values[k];
        }
        return scores;
    }

    public void Dispose() => model.Dispose();
}
