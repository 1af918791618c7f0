using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Torch.IO;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Distributed;
using Alignment.Training.Losses;
using Alignment.Training.Runtime;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>
/// Reference log-probabilities computed ONCE before training and stored beside the run, so no
/// reference model is kept in memory while the policy trains. For every example index: the summed log-prob of its first and second completion
/// given the prompt (DPO: chosen and rejected; KTO: the completion and its mismatched KL partner). The file
/// (safetensors, float64 tensors "first" and "second" of length N) records in its metadata what it was computed from;
/// a later run or a resume reuses it when that matches and recomputes it otherwise. In a data-parallel run every rank
/// computes its shard of the examples and the shards are summed over the ranks; rank 0 writes the file.
/// </summary>
public sealed class ReferenceLogps
{
    public ReferenceLogps(double[] first, double[] second)
    {
        First = first;
        Second = second;
    }

    public double[] First { get; }
    public double[] Second { get; }

    /// <summary>
    /// The reference log-probs of a run of the DPO family or KTO, kept in <paramref name="file"/> of the run's output
    /// folder: the reference model is <paramref name="refModel"/>, or else the model training starts from. The file's
    /// metadata records what the values depend on (the reference's and the data's content hashes, dtype, template,
    /// max_length, and <paramref name="stage"/> when given), so a rerun or resume reuses it only when all of them match.
    /// </summary>
    public static ReferenceLogps ForRun(CommonOptions o, string? refModel, RunSession session, string file, string dataPath, string? stage,
                                        IReadOnlyList<(int[] prompt, int[] first, int[] secondPrompt, int[] second)> rows, int padId,
                                        ITrainingProgress progress)
    {
        string reference = Path.GetFullPath(refModel is { Length: > 0 } r ? r : o.Model!);
        var metadata = new Dictionary<string, string>();
        if (stage is not null) metadata["stage"] = stage;
        metadata["reference_sha256"] = OptionsSnapshot.FolderSha256(reference);   // content, not a path: the same in every home
        metadata["data_sha256"] = OptionsSnapshot.FileSha256(dataPath);
        metadata["dtype"] = o.Dtype;
        metadata["template"] = o.Template ?? "";
        metadata["max_length"] = o.MaxLength.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return LoadOrCompute(Path.Combine(session.Store.OutputDir, file), metadata, reference, TrainableModel.ParseDtype(o.Dtype), rows,
                             o.BatchSize, padId, session.Parallel, progress.Message);
    }

    /// <summary>Reads <paramref name="path"/> when its metadata equals <paramref name="metadata"/>, else computes the
    /// values with a freshly loaded reference model (freed before training starts) and writes the file.</summary>
    public static ReferenceLogps LoadOrCompute(string path, IReadOnlyDictionary<string, string> metadata, string referenceFolder, ScalarType dtype,
                                               IReadOnlyList<(int[] prompt, int[] first, int[] secondPrompt, int[] second)> rows, int batchSize, int padId,
                                               DataParallel parallel, Action<string>? report = null)
    {
        var cached = TryLoad(path, metadata, rows.Count);
        if (parallel.All(cached is not null))
        {
            report?.Invoke($"reference log-probs: reusing {path}");
            return cached!;
        }
        report?.Invoke($"reference log-probs: computing {rows.Count} examples with {referenceFolder}" +
                       (parallel.Enabled ? $", a shard on each of {parallel.WorldSize} processes" : ""));
        ReferenceLogps result;
        using (var reference = LlamaForCausalLM.from_pretrained(referenceFolder, dtype))
        {
            reference.eval();
            result = Compute(reference, rows, batchSize, padId, parallel);
        }
        if (parallel.IsMain) result.Save(path, metadata);
        return result;
    }

    /// <summary>Summed completion log-probs (of prompt + first, and of secondPrompt + second) under <paramref name="model"/>, without gradients, in length-sorted batches.
    /// With <paramref name="parallel"/>, this rank computes every WorldSize-th example of the length order and the
    /// ranks' results (zero where another rank computed) are summed, so every rank ends with all of them.</summary>
    public static ReferenceLogps Compute(LlamaForCausalLM model, IReadOnlyList<(int[] prompt, int[] first, int[] secondPrompt, int[] second)> rows, int batchSize, int padId,
                                         DataParallel? parallel = null)
    {
        var first = new double[rows.Count];
        var second = new double[rows.Count];
        var sorted = Enumerable.Range(0, rows.Count)
            .OrderBy(i => Math.Max(rows[i].prompt.Length + rows[i].first.Length, rows[i].secondPrompt.Length + rows[i].second.Length)).ToArray();
        var order = parallel?.Shard(sorted) ?? sorted;
        using var noGrad = no_grad();
        foreach (var chunk in order.Chunk(Math.Max(1, batchSize)))
        {
            using var scope = NewDisposeScope();
            var seqs = chunk.Select(i => Collator.Join(rows[i].prompt, rows[i].first))
                            .Concat(chunk.Select(i => Collator.Join(rows[i].secondPrompt, rows[i].second))).ToList();
            using var batch = Collator.Build(seqs, padId);
            var sums = LabelledForward.Run(model, batch.InputIds, batch.AttentionMask, batch.Labels).Sum.to(float64).data<double>();
            for (int k = 0; k < chunk.Length; k++)
            {
                first[chunk[k]] = sums[k];
                second[chunk[k]] = sums[chunk.Length + k];
            }
        }
        if (parallel is { Enabled: true })
        {
            var both = parallel.Sum(first.Concat(second).ToArray());
            first = both[..rows.Count];
            second = both[rows.Count..];
        }
        return new ReferenceLogps(first, second);
    }

    public void Save(string path, IReadOnlyDictionary<string, string> metadata)
    {
        using var scope = NewDisposeScope();
        var tensors = new Dictionary<string, Tensor>
        {
            ["first"] = tensor(First, new long[] { First.Length }),
            ["second"] = tensor(Second, new long[] { Second.Length }),
        };
        Safetensors.Save(path, tensors, metadata);
    }

    private static ReferenceLogps? TryLoad(string path, IReadOnlyDictionary<string, string> metadata, int count)
    {
        if (!File.Exists(path)) return null;
        try
        {
            using var file = SafetensorsFile.Open(path);
            if (metadata.Any(kv => !file.Metadata.TryGetValue(kv.Key, out var v) || v != kv.Value)) return null;
            using var scope = NewDisposeScope();
            var first = file.Load("first", float64).data<double>();
            var second = file.Load("second", float64).data<double>();
            return first.Length == count && second.Length == count ? new ReferenceLogps(first, second) : null;
        }
        catch (TorchException)
        {
            return null;   // unreadable: compute again
        }
    }
}
