using Alignment.Torch;
using Alignment.Training.Features;
using static Alignment.Torch.torch;

namespace Alignment.Training.Batching;

/// <summary>A padded batch: input ids, attention mask (1 = real token) and labels (−100 = no loss), all int64 (B, T).</summary>
public sealed record TokenBatch(Tensor InputIds, Tensor AttentionMask, Tensor Labels, int RealTokens) : IDisposable
{
    public long BatchSize => InputIds.size(0);
    public long SequenceLength => InputIds.size(1);

    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
        Labels.Dispose();
    }
}

/// <summary>
/// Pads tokenized examples into batches (right padding for training: positions start at 0 for every row).
/// Preference pairs become one batch of 2B rows — chosen rows first, then rejected — so the policy runs once per
/// step over both (one concatenated forward, as TRL's DPOTrainer does); labels cover completion tokens only.
/// </summary>
public static class Collator
{
    public static TokenBatch Sft(IReadOnlyList<SftFeatures> rows, int padId) =>
        Build(rows.Select(r => (r.InputIds, r.Labels)).ToList(), padId);

    public static TokenBatch Preference(IReadOnlyList<PreferenceFeatures> rows, int padId)
    {
        var seqs = new List<(int[] ids, int[] labels)>(rows.Count * 2);
        foreach (var r in rows) seqs.Add(Join(r.PromptIds, r.ChosenIds));
        foreach (var r in rows) seqs.Add(Join(r.PromptIds, r.RejectedIds));
        return Build(seqs, padId);
    }

    public static TokenBatch Unpaired(IReadOnlyList<UnpairedFeatures> rows, int padId) =>
        Build(rows.Select(r => Join(r.PromptIds, r.CompletionIds)).ToList(), padId);

    /// <summary>prompt + completion, with labels only on the completion.</summary>
    public static (int[] ids, int[] labels) Join(int[] prompt, int[] completion)
    {
        var ids = new int[prompt.Length + completion.Length];
        prompt.CopyTo(ids, 0);
        completion.CopyTo(ids, prompt.Length);
        var labels = new int[ids.Length];
        Array.Fill(labels, SftFeatures.IgnoreIndex, 0, prompt.Length);
        completion.CopyTo(labels, prompt.Length);
        return (ids, labels);
    }

    /// <summary>Right-pads sequences (ids with their labels) into one batch.</summary>
    public static TokenBatch Build(IReadOnlyList<(int[] ids, int[] labels)> seqs, int padId)
    {
        if (seqs.Count == 0) throw new ArgumentException("cannot collate an empty batch");
        int t = seqs.Max(s => s.ids.Length);
        int b = seqs.Count;
        var ids = new long[b * t];
        var mask = new long[b * t];
        var labels = new long[b * t];
        int real = 0;
        for (int i = 0; i < b; i++)
        {
            var (rowIds, rowLabels) = seqs[i];
            for (int j = 0; j < t; j++)
            {
                bool inRow = j < rowIds.Length;
                ids[i * t + j] = inRow ? rowIds[j] : padId;
                mask[i * t + j] = inRow ? 1 : 0;
                labels[i * t + j] = inRow ? rowLabels[j] : SftFeatures.IgnoreIndex;
            }
            real += rowIds.Length;
        }
        var shape = new long[] { b, t };
        return new TokenBatch(tensor(ids, shape), tensor(mask, shape), tensor(labels, shape), real);
    }
}
