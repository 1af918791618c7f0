using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Queries;

/// <summary>Rows of a metrics.jsonl read from row <see cref="After"/> on.</summary>
/// <param name="After">Rows the caller already had.</param>
/// <param name="Rows">The complete rows after those, in file order.</param>
/// <param name="Next">What to pass as <c>after</c> next time: the number of complete rows read so far.</param>
public sealed record MetricsPage(int After, IReadOnlyList<JsonObject> Rows, int Next);

/// <summary>
/// Reads a metrics.jsonl that a trainer may still be appending to: only complete lines (ending in a newline) count as
/// rows, so a line caught half-written is left for the next read, and rows before <c>after</c> are skipped. Empty lines
/// are not rows. A complete line that is not a JSON object is an error naming the file and line.
/// </summary>
public static class MetricsTail
{
    /// <summary>The most rows one read returns; the caller asks again with the returned <see cref="MetricsPage.Next"/>.</summary>
    public const int MaxRows = 5000;

    /// <summary>Reads rows after the first <paramref name="after"/>; a missing file has no rows yet.</summary>
    public static MetricsPage Read(string path, int after, int maxRows = MaxRows)
    {
        if (after < 0) throw new WorkflowException($"after must be 0 or more (got {after})");
        if (!File.Exists(path)) return new MetricsPage(after, [], after);
        byte[] bytes;
        // The trainer holds the file open for appending: share it for writing while we read.
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
        using (var buffer = new MemoryStream())
        {
            stream.CopyTo(buffer);
            bytes = buffer.ToArray();
        }

        var rows = new List<JsonObject>();
        int row = 0, lineNumber = 0, start = 0;
        while (start < bytes.Length)
        {
            int end = Array.IndexOf(bytes, (byte)'\n', start);
            if (end < 0) break; // a partial last line: not a row yet
            lineNumber++;
            var line = Encoding.UTF8.GetString(bytes, start, end - start).Trim();
            start = end + 1;
            if (line.Length == 0) continue;
            row++;
            if (row <= after || rows.Count >= maxRows) continue;
            rows.Add(Parse(line, path, lineNumber));
        }
        return new MetricsPage(after, rows, Math.Max(after, Math.Min(row, after + rows.Count)));
    }

    private static JsonObject Parse(string line, string path, int lineNumber)
    {
        try
        {
            return JsonNode.Parse(line) as JsonObject ?? throw new WorkflowException($"{path}:{lineNumber}: a metrics line must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new WorkflowException($"{path}:{lineNumber}: not valid JSON ({e.Message})");
        }
    }
}
