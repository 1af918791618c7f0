using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Data.ImportExport;

namespace Alignment.Workflows.Definitions;

/// <summary>
/// Reads and writes workflow-definition JSON. Reading keeps the whole document (unknown keys included), so
/// <c>Write(Parse(text))</c> is the same JSON as <c>text</c> (property order kept; only whitespace and string
/// escaping may differ). Malformed JSON is a <see cref="DefinitionFormatException"/> with line and column.
/// </summary>
public static class DefinitionSerializer
{
    private static readonly JsonSerializerOptions WriteOptions = new()
    {
        WriteIndented = true,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>Reads a definition file.</summary>
    public static WorkflowDefinition Load(string path)
    {
        if (!File.Exists(path)) throw new WorkflowNotFoundException($"{path}: no such workflow definition file");
        var bytes = File.ReadAllBytes(path);
        if (Utf8Error.Find(bytes) is { } bad) throw new WorkflowException($"{path}:{bad.Line}: {bad.Problem}");
        var text = bytes.AsSpan();
        if (text.StartsWith("\uFEFF"u8)) text = text[3..];
        return Parse(Encoding.UTF8.GetString(text), path);
    }

    /// <summary>Parses definition text; <paramref name="fileName"/> names it in errors.</summary>
    public static WorkflowDefinition Parse(string text, string fileName = "<text>")
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = 256, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            int line = (int)(e.LineNumber ?? 0);
            int column = CharColumn(text, line, (int)(e.BytePositionInLine ?? 0));
            throw new DefinitionFormatException(fileName, line + 1, column + 1, $"invalid JSON: {Describe(e)}");
        }
        if (node is not JsonObject obj)
            throw new DefinitionFormatException(fileName, 1, 1, "a workflow definition must be a JSON object");
        return new WorkflowDefinition(obj);
    }

    /// <summary>The definition as indented JSON text.</summary>
    public static string Write(WorkflowDefinition definition) => definition.Json.ToJsonString(WriteOptions);

    /// <summary>Writes the definition to <paramref name="path"/> atomically (temp file, then rename).</summary>
    public static void Save(WorkflowDefinition definition, string path) =>
        AtomicFile.Write(path, stream =>
        {
            var bytes = Encoding.UTF8.GetBytes(Write(definition) + "\n");
            stream.Write(bytes);
            return bytes.Length;
        });

    private static string Describe(JsonException e)
    {
        var message = e.Message;
        foreach (var cut in new[] { " Path:", " LineNumber:", " | LineNumber" })
        {
            int at = message.IndexOf(cut, StringComparison.Ordinal);
            if (at > 0) message = message[..at];
        }
        return message.Trim().TrimEnd('.');
    }

    /// <summary>Converts a 0-based UTF-8 byte offset within line <paramref name="line"/> to a 0-based character column.</summary>
    private static int CharColumn(string text, int line, int bytePosition)
    {
        var lines = text.Split('\n');
        if (line >= lines.Length) return bytePosition;
        var content = lines[line];
        int bytes = 0;
        for (int i = 0; i < content.Length; i++)
        {
            if (bytes >= bytePosition) return i;
            bytes += Encoding.UTF8.GetByteCount(content.AsSpan(i, char.IsHighSurrogate(content[i]) && i + 1 < content.Length ? 2 : 1));
            if (char.IsHighSurrogate(content[i])) i++;
        }
        return content.Length;
    }
}
