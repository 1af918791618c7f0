using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Stages;

/// <summary>Writes and reads JSONL (one compact JSON object per line, '\n' endings, UTF-8 without BOM, non-ASCII kept as is).</summary>
public static class JsonLines
{
    private static readonly JsonSerializerOptions Options = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <paramref name="rows"/> to <paramref name="path"/>; returns how many.</summary>
    public static int Write(string path, IEnumerable<JsonObject> rows)
    {
        using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false)) { NewLine = "\n" };
        int count = 0;
        foreach (var row in rows)
        {
            writer.Write(row.ToJsonString(Options));
            writer.Write('\n');
            count++;
        }
        return count;
    }

    /// <summary>The objects of a JSONL file (blank lines skipped); a malformed line throws naming the file and line.</summary>
    public static IEnumerable<(int Line, JsonObject Row)> Read(string path, string displayName)
    {
        int line = 0;
        foreach (var text in File.ReadLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            JsonNode? node;
            try { node = JsonNode.Parse(text); }
            catch (JsonException e) { throw new WorkflowException($"{displayName}:{line}: not valid JSON ({e.Message.Split(". ")[0]})"); }
            yield return (line, node as JsonObject ?? throw new WorkflowException($"{displayName}:{line}: each line must be a JSON object"));
        }
    }

    /// <summary>Compact JSON text of a node with the same escaping as the files.</summary>
    public static string Compact(JsonNode node) => node.ToJsonString(Options);
}
