using System.Text.Json;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Judging;

/// <summary>
/// Reference answers by prompt, for rules that check correctness (<c>"matchesReference": true</c>): a JSONL file of
/// <c>{"prompt", "reference"}</c> rows, named by a rule file's <c>references</c> key. An answer matches when it contains
/// the reference as a whole word or number: not preceded or followed by a letter or digit ("7" matches "… is 7." but not
/// "17" or "7a"); case-insensitive.
/// </summary>
public sealed class ReferenceAnswers
{
    private readonly Dictionary<string, string> _byPrompt;

    public ReferenceAnswers(IReadOnlyDictionary<string, string> byPrompt, string source = "references")
    {
        _byPrompt = new Dictionary<string, string>(byPrompt, StringComparer.Ordinal);
        Source = source;
    }

    /// <summary>The file they came from (for messages).</summary>
    public string Source { get; }

    public int Count => _byPrompt.Count;

    /// <summary>Reads a references file; a bad row is an error naming <c>file:line</c> and the field, a prompt given twice too.</summary>
    public static ReferenceAnswers Load(string path)
    {
        if (!File.Exists(path)) throw new WorkflowException($"references file {path} does not exist");
        var byPrompt = new Dictionary<string, string>(StringComparer.Ordinal);
        var firstLine = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (line, row) in JsonLines.Read(path, path))
        {
            string prompt = Text(row, "prompt", path, line);
            string reference = Text(row, "reference", path, line).Trim();
            if (reference.Length == 0) throw new WorkflowException($"{path}:{line}: field \"reference\" is empty");
            if (!byPrompt.TryAdd(prompt, reference))
                throw new WorkflowException($"{path}:{line}: prompt \"{prompt}\" already has a reference (line {firstLine[prompt]})");
            firstLine[prompt] = line;
        }
        if (byPrompt.Count == 0) throw new WorkflowException($"{path}: no references");
        return new ReferenceAnswers(byPrompt, path);
    }

    /// <summary>Every prompt and reference, sorted by prompt (ordinal), one JSON pair per line: what the answers depend on.</summary>
    public string Canonical() => string.Join("\n", _byPrompt.OrderBy(p => p.Key, StringComparer.Ordinal)
        .Select(p => JsonSerializer.Serialize(new[] { p.Key, p.Value })));

    /// <summary>The reference of a prompt (compared after trimming), or null.</summary>
    public string? Find(string prompt) => _byPrompt.GetValueOrDefault(prompt) ?? _byPrompt.GetValueOrDefault(prompt.Trim());

    /// <summary>Whether <paramref name="answer"/> contains the reference of <paramref name="prompt"/> as a whole word or number;
    /// a prompt without a reference is an error naming the file.</summary>
    public bool Matches(string prompt, string answer)
    {
        string reference = Find(prompt) ?? throw new WorkflowException($"{Source}: no reference answer for prompt \"{prompt}\"");
        return ContainsWhole(answer, reference);
    }

    /// <summary>Whether <paramref name="reference"/> occurs in <paramref name="text"/> with no letter or digit right before or after it.</summary>
    public static bool ContainsWhole(string text, string reference)
    {
        if (reference.Length == 0) return false;
        for (int at = text.IndexOf(reference, StringComparison.OrdinalIgnoreCase); at >= 0;
             at = text.IndexOf(reference, at + 1, StringComparison.OrdinalIgnoreCase))
        {
            int end = at + reference.Length;
            bool before = at > 0 && char.IsLetterOrDigit(text[at - 1]) && char.IsLetterOrDigit(reference[0]);
            bool after = end < text.Length && char.IsLetterOrDigit(text[end]) && char.IsLetterOrDigit(reference[^1]);
            if (!before && !after) return true;
        }
        return false;
    }

    private static string Text(System.Text.Json.Nodes.JsonObject row, string field, string path, int line)
    {
        var node = row[field] ?? throw new WorkflowException($"{path}:{line}: field \"{field}\" is missing");
        if (node.GetValueKind() == JsonValueKind.String) return node.GetValue<string>();
        if (node.GetValueKind() == JsonValueKind.Number && field == "reference") return node.ToJsonString();
        throw new WorkflowException($"{path}:{line}: field \"{field}\" must be a string");
    }
}
