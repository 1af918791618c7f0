using System.Text;
using System.Text.Json.Nodes;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Checkpoints;

/// <summary>What loading a checkpoint into a module did besides filling the expected tensors.</summary>
/// <param name="Initialized">Tensors the module has but the checkpoint lacked, allowed to be absent (e.g. a new
/// score head); the caller initializes them.</param>
/// <param name="Ignored">Checkpoint tensors the module does not use and may skip (e.g. rotary inv_freq buffers of old
/// exports, a value head saved beside a policy).</param>
public sealed record LoadReport(IReadOnlyList<string> Initialized, IReadOnlyList<string> Ignored);

/// <summary>
/// Fills a module's parameters from a Hugging Face folder's safetensors (model.safetensors, or shards listed by
/// model.safetensors.index.json). Everything is checked before anything is copied — missing tensors, unexpected
/// tensors, shapes against the module built from config.json, non-float dtypes — and reported at once with the file of
/// each tensor and a hint. Tensors are then read one at a time from the memory-mapped files, converted to the module's
/// dtype and device, and copied into the existing parameters: at no point is a second full copy of the model held.
/// </summary>
public static class CheckpointLoader
{
    /// <param name="module">The module to fill; its state_dict keys are the expected tensor names.</param>
    /// <param name="folder">The Hugging Face folder.</param>
    /// <param name="describe">One line describing config.json's shape facts, for the error message.</param>
    /// <param name="skip">Module keys that are not read (a tied lm_head.weight).</param>
    /// <param name="mayBeMissing">Module keys the checkpoint may lack (they are reported, the caller initializes them).</param>
    /// <param name="mayBeIgnored">Checkpoint keys the module may leave unread.</param>
    /// <param name="prefix">Load a part: module key k is read from checkpoint key prefix + k, and only checkpoint keys
    /// with this prefix count (e.g. "v_head." for a value head saved beside its policy).</param>
    public static LoadReport Load(Module module, string folder, string describe, ISet<string>? skip = null,
                                  Func<string, bool>? mayBeMissing = null, Func<string, bool>? mayBeIgnored = null, string prefix = "")
    {
        var own = module.state_dict().ToDictionary(kv => prefix + kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var expected = own.Keys.Where(k => skip is null || !skip.Contains(k)).ToList();
        using var ckpt = ShardedCheckpoint.Open(folder);
        var fileOf = WeightFiles(folder, ckpt);
        var present = ckpt.Names.Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToHashSet(StringComparer.Ordinal);

        var missing = expected.Where(k => !present.Contains(k)).ToList();
        var initialized = missing.Where(k => mayBeMissing?.Invoke(k) == true).ToList();
        missing = missing.Except(initialized).ToList();
        var expectedSet = expected.ToHashSet(StringComparer.Ordinal);
        var extra = present.Where(k => !expectedSet.Contains(k)).Order(StringComparer.Ordinal).ToList();
        var ignored = extra.Where(k => (skip?.Contains(k) ?? false) || IgnoredAlways(k) || mayBeIgnored?.Invoke(k) == true).ToList();
        var unexpected = extra.Except(ignored).ToList();

        var mismatches = new List<string>();
        foreach (string key in expected.Where(present.Contains))
        {
            var info = ckpt.Info(key);
            var want = own[key].shape;
            if (!info.DType.IsFloatingPoint())
                mismatches.Add($"{key} in {fileOf[key]} is {info.DType.TorchName()}, not a floating-point type");
            else if (!want.SequenceEqual(info.Shape))
                mismatches.Add($"{key} in {fileOf[key]} has shape {Shape(info.Shape)}, config.json implies {Shape(want)}");
        }
        if (missing.Count + unexpected.Count + mismatches.Count > 0)
            throw new ModelException(Describe(folder, describe, missing, unexpected.Select(k => $"{k} ({fileOf[k]})").ToList(),
                                              mismatches, Hint(missing, unexpected, mismatches)));

        var nonFinite = new List<string>();
        using (no_grad())
            foreach (string key in expected.Where(present.Contains))
            {
                var target = own[key];
                using var t = ckpt.Load(key, target.dtype, target.device);
                if (NonFiniteCount(t) is var (nan, inf) && nan + inf > 0)
                    nonFinite.Add($"{key} in {fileOf[key]}: {nan} NaN and {inf} infinite of {t.numel()} values");
                target.copy_(t);
            }
        if (nonFinite.Count > 0)
        {
            var sb = new StringBuilder($"{folder}: the weights hold NaN or infinite values, so every output would be meaningless:");
            List(sb, $"Non-finite tensors ({nonFinite.Count})", nonFinite);
            sb.Append("\n  Hint: the checkpoint was saved from a diverged run or is damaged; use an earlier checkpoint or re-download the folder.");
            throw new ModelException(sb.ToString());
        }
        return new LoadReport(initialized, ignored);
    }

    /// <summary>How many NaN and how many infinite values <paramref name="t"/> holds (one pass each).</summary>
    private static (long Nan, long Inf) NonFiniteCount(Tensor t)
    {
        using var nan = t.isnan();
        using var nanCount = nan.sum();
        using var inf = t.isinf();
        using var infCount = inf.sum();
        return (nanCount.ToInt64(), infCount.ToInt64());
    }

    // Buffers older exports saved that transformers recomputes (and ignores on load).
    private static bool IgnoredAlways(string key) => key.EndsWith("rotary_emb.inv_freq", StringComparison.Ordinal);

    /// <summary>Tensor name → the file holding it (relative to the folder).</summary>
    private static Dictionary<string, string> WeightFiles(string folder, ShardedCheckpoint ckpt)
    {
        string index = Path.Combine(folder, ShardedCheckpoint.IndexFile);
        var map = ckpt.Names.ToDictionary(n => n, _ => ShardedCheckpoint.SingleFile, StringComparer.Ordinal);
        if (!File.Exists(index)) return map;
        if (JsonNode.Parse(File.ReadAllText(index))?["weight_map"] is JsonObject wm)
            foreach (var (name, file) in wm)
                if (file is not null) map[name] = file.GetValue<string>();
        return map;
    }

    private static string Describe(string folder, string describe, List<string> missing, List<string> unexpected, List<string> mismatches, string hint)
    {
        var sb = new StringBuilder($"{folder}: the safetensors weights do not match config.json ({describe}):");
        List(sb, $"Missing tensors ({missing.Count})", missing);
        List(sb, $"Unexpected tensors ({unexpected.Count})", unexpected);
        List(sb, $"Shape/dtype mismatches ({mismatches.Count})", mismatches);
        sb.Append("\n  Hint: ").Append(hint);
        return sb.ToString();
    }

    private static void List(StringBuilder sb, string title, List<string> items)
    {
        if (items.Count == 0) return;
        const int shown = 25;
        sb.Append("\n  ").Append(title).Append(':');
        foreach (var item in items.Take(shown)) sb.Append("\n    ").Append(item);
        if (items.Count > shown) sb.Append($"\n    ... and {items.Count - shown} more");
    }

    private static string Hint(List<string> missing, List<string> unexpected, List<string> mismatches)
    {
        if (missing.Contains("lm_head.weight") && missing.Count == 1 && unexpected.Count == 0)
            return "there is no lm_head.weight: if the output layer shares the token embedding, config.json should say \"tie_word_embeddings\": true.";
        if (unexpected.Any(k => k.StartsWith("model.layers.", StringComparison.Ordinal)) && missing.Count == 0)
            return "the checkpoint has more layers than num_hidden_layers in config.json; use the config.json that came with the weights.";
        if (unexpected.Count > 0 && missing.Count > 0 && unexpected.All(k => !k.StartsWith("model.", StringComparison.Ordinal) && !k.StartsWith("lm_head", StringComparison.Ordinal)))
            return "the tensor names follow another architecture's naming (this loader expects transformers' Llama/Mistral/Qwen names such as " +
                   "model.layers.0.self_attn.q_proj.weight); convert the checkpoint with transformers first.";
        if (mismatches.Count > 0)
            return "config.json describes a different model size (hidden_size, intermediate_size, heads, num_key_value_heads, head_dim or " +
                   "vocab_size) than the weights; use the config.json that came with them, or re-download the folder.";
        return "config.json and the weights come from different models or an incomplete download; re-download the folder or fix config.json.";
    }

    private static string Shape(long[] shape) => "[" + string.Join(", ", shape) + "]";
}
