using Alignment.Models.Llama;
using Alignment.Torch;
using static Alignment.Torch.torch;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Scoring;

/// <summary>
/// Per-token log-probabilities of whole sequences: for sequence x, entry t is log p(x_t | x_&lt;t) (natural log), entry 0
/// is null (nothing precedes it). Sequences are sorted by length and run in right-padded batches (padding masked), one
/// dispose scope per batch, without gradients; results come back in input order.
/// </summary>
public static class TokenLogProbs
{
    /// <param name="model">The language model.</param>
    /// <param name="sequences">Token ids; ids must lie in [0, vocab_size).</param>
    /// <param name="batchSize">Sequences per forward.</param>
    /// <returns>For each sequence an array of its length: null, then one log-probability per later token.</returns>
    /// <exception cref="ModelException">An id outside the vocabulary (naming the sequence and position).</exception>
    public static IReadOnlyList<double?[]> Compute(LlamaForCausalLM model, IReadOnlyList<long[]> sequences, int batchSize = 8)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "batch size must be at least 1");
        long vocab = model.config.Vocab;
        for (int i = 0; i < sequences.Count; i++)
            for (int j = 0; j < sequences[i].Length; j++)
                if (sequences[i][j] < 0 || sequences[i][j] >= vocab)
                    throw new ModelException($"sequence {i}, position {j}: token id {sequences[i][j]} is outside the vocabulary [0, {vocab})");

        var results = new double?[sequences.Count][];
        var order = Enumerable.Range(0, sequences.Count).OrderBy(i => sequences[i].Length).ToList();
        foreach (int i in order.Where(i => sequences[i].Length <= 1)) results[i] = sequences[i].Length == 0 ? [] : [null];
        var scored = order.Where(i => sequences[i].Length > 1).ToList();
        using var noGrad = no_grad();
        for (int start = 0; start < scored.Count; start += batchSize)
        {
            var batch = scored.Skip(start).Take(batchSize).ToList();
            var values = Batch(model, batch.Select(i => sequences[i]).ToList());
            for (int k = 0; k < batch.Count; k++) results[batch[k]] = values[k];
        }
        return results;
    }

    private static double?[][] Batch(LlamaForCausalLM model, List<long[]> seqs)
    {
        int b = seqs.Count, t = seqs.Max(s => s.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var targets = new long[b * (t - 1)];
        for (int r = 0; r < b; r++)
            for (int j = 0; j < t; j++)
            {
                bool real = j < seqs[r].Length;
                ids[r * t + j] = real ? seqs[r][j] : 0;
                mask[r * t + j] = real ? 1 : 0;
                if (j > 0) targets[r * (t - 1) + j - 1] = real ? seqs[r][j] : -100;
            }
        float[] flat;
        using (NewDisposeScope())
        {
            var device = model.lm_head.weight.device;
            var logits = model.forward(tensor(ids, new long[] { b, t }, device), tensor(mask, new long[] { b, t }, device)).logits;  // (B, T, V)
            var lp = F.logprobs_of(logits.narrow(1, 0, t - 1), tensor(targets, new long[] { b, t - 1 }, device));                    // (B, T-1)
            flat = lp.to(float32).data<float>();
        }
        var result = new double?[b][];
        for (int r = 0; r < b; r++)
        {
            result[r] = new double?[seqs[r].Length];
            for (int j = 1; j < seqs[r].Length; j++) result[r][j] = flat[r * (t - 1) + j - 1];
        }
        return result;
    }
}
