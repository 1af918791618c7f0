using System.Text;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;

namespace Alignment.Models.Checkpoints;

/// <summary>Fills an adapter's tensors from its safetensors file: every missing or unexpected key and every shape
/// mismatch is reported at once (naming the file and the config), values are converted to each tensor's dtype.</summary>
internal static class AdapterWeights
{
    public static void Fill(IReadOnlyDictionary<string, Tensor> expected, string weights, string configPath, string hint)
    {
        using var file = SafetensorsFile.Open(weights);
        var present = file.Names.ToHashSet(StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !present.Contains(k)).ToList();
        var unexpected = file.Names.Where(k => !expected.ContainsKey(k)).ToList();
        var mismatches = expected.Where(kv => present.Contains(kv.Key) && !file.Info(kv.Key).Shape.SequenceEqual(kv.Value.shape))
                                 .Select(kv => $"{kv.Key}: file [{string.Join(", ", file.Info(kv.Key).Shape)}], model [{string.Join(", ", kv.Value.shape)}]")
                                 .ToList();
        if (missing.Count + unexpected.Count + mismatches.Count > 0)
        {
            var sb = new StringBuilder($"{weights}: does not match {configPath} and the base model:");
            if (missing.Count > 0) sb.Append($"\n  Missing ({missing.Count}): ").Append(string.Join(", ", missing.Take(20)));
            if (unexpected.Count > 0) sb.Append($"\n  Unexpected ({unexpected.Count}): ").Append(string.Join(", ", unexpected.Take(20)));
            if (mismatches.Count > 0) sb.Append($"\n  Shape mismatches ({mismatches.Count}): ").Append(string.Join("; ", mismatches.Take(20)));
            sb.Append("\n  Hint: ").Append(hint);
            throw new ModelException(sb.ToString());
        }
        using (no_grad())
            foreach (var (key, target) in expected)
            {
                using var t = file.Load(key, target.dtype, target.device);
                target.copy_(t);
            }
    }
}
