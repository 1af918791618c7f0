using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Training.Config;

/// <summary>
/// The bound options as JSON values by key (what trainer_state.json records), their hash over the keys that change the
/// training math, and the list of such keys that differ between two runs (why a resume is refused).
/// </summary>
public static class OptionsSnapshot
{
    public static Dictionary<string, JsonNode?> Capture(object options)
    {
        var result = new Dictionary<string, JsonNode?>(StringComparer.Ordinal);
        foreach (var o in OptionsBinder.Describe(options.GetType()))
        {
            object? value = o.Property.GetValue(options);
            result[o.Key] = value switch
            {
                null => null,
                Enum e => JsonValue.Create(OptionInfo.ToSnake(e.ToString())),
                _ => JsonSerializer.SerializeToNode(value, value.GetType()),
            };
        }
        return result;
    }

    public static string MathHash(IReadOnlyDictionary<string, JsonNode?> snapshot, IReadOnlySet<string> nonMathKeys)
    {
        var sb = new StringBuilder();
        foreach (var (key, value) in snapshot.Where(kv => !nonMathKeys.Contains(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            sb.Append(key).Append('=').Append(value?.ToJsonString() ?? "null").Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    /// <summary>"key: checkpoint X, now Y" for every math key whose value differs.</summary>
    public static List<string> MathDifferences(IReadOnlyDictionary<string, JsonNode?> saved, IReadOnlyDictionary<string, JsonNode?> now,
                                               IReadOnlySet<string> nonMathKeys)
    {
        var keys = saved.Keys.Union(now.Keys).Where(k => !nonMathKeys.Contains(k)).OrderBy(k => k, StringComparer.Ordinal);
        var diffs = new List<string>();
        foreach (string key in keys)
        {
            string a = saved.TryGetValue(key, out var x) ? x?.ToJsonString() ?? "null" : "(absent)";
            string b = now.TryGetValue(key, out var y) ? y?.ToJsonString() ?? "null" : "(absent)";
            if (a != b) diffs.Add($"{key}: checkpoint {a}, now {b}");
        }
        return diffs;
    }

    /// <summary>
    /// The content of a model folder as one sha256: over the sorted names of its top-level files (dot files left out;
    /// subfolders such as checkpoints/ are not the model) and each file's sha256. Two copies of a model in different
    /// places give the same value.
    /// </summary>
    public static string FolderSha256(string folder)
    {
        var sb = new StringBuilder();
        foreach (string name in Directory.EnumerateFiles(folder).Select(f => Path.GetFileName(f)!).Where(n => !n.StartsWith('.')).Order(StringComparer.Ordinal))
            sb.Append(name).Append(' ').Append(FileSha256(Path.Combine(folder, name))).Append('\n');
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString())));
    }

    public static string FileSha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
