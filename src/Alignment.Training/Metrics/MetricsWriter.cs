using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Alignment.Training.Metrics;

/// <summary>
/// Appends one JSON object per logged step to metrics.jsonl (TRL metric names; always `step`, `epoch`, `loss`,
/// `learning_rate` from the trainers). Each line is flushed as written, so a killed run keeps what it logged.
/// Resuming from step k first drops lines logged after k, so a resumed run's file equals an uninterrupted one's.
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    private readonly StreamWriter writer;

    private MetricsWriter(string path, StreamWriter writer)
    {
        Path = path;
        this.writer = writer;
    }

    public string Path { get; }

    /// <summary>Opens path for appending; with resumeFromStep, first removes every line whose step is greater.</summary>
    public static MetricsWriter Open(string path, long? resumeFromStep = null)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!);
        if (resumeFromStep is long k && File.Exists(path)) TruncateAfter(path, k);
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
        return new MetricsWriter(path, new StreamWriter(stream, new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" });
    }

    /// <summary>Writes one record: keys in the given order; doubles that are NaN/∞ become null (JSON has no NaN).</summary>
    public void Log(IEnumerable<KeyValuePair<string, double>> values)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            foreach (var (key, value) in values)
            {
                if (double.IsFinite(value))
                {
                    if (key is "step" or "global_step" && value == Math.Floor(value)) w.WriteNumber(key, (long)value);
                    else w.WriteNumber(key, value);
                }
                else w.WriteNull(key);
            }
            w.WriteEndObject();
        }
        writer.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
    }

    /// <summary>Reads a metrics file back (for reports, plots and tests): one dictionary per line.</summary>
    public static List<Dictionary<string, double?>> Read(string path)
    {
        var rows = new List<Dictionary<string, double?>>();
        int lineNo = 0;
        foreach (string line in File.ReadLines(path))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                var row = new Dictionary<string, double?>();
                foreach (var p in doc.RootElement.EnumerateObject())
                    row[p.Name] = p.Value.ValueKind == JsonValueKind.Number ? p.Value.GetDouble() : null;
                rows.Add(row);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{path}:{lineNo}: not a JSON object ({e.Message})");
            }
        }
        return rows;
    }

    private static void TruncateAfter(string path, long step)
    {
        var kept = new List<string>();
        foreach (string line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            try
            {
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.TryGetProperty("step", out var s) && s.GetDouble() > step) continue;
                kept.Add(line);
            }
            catch (JsonException)
            {
                // A line cut short by a kill: drop it.
            }
        }
        string tmp = path + ".tmp";
        File.WriteAllText(tmp, kept.Count == 0 ? "" : string.Join("\n", kept) + "\n", new UTF8Encoding(false));
        File.Move(tmp, path, overwrite: true);
    }

    public void Dispose() => writer.Dispose();

    /// <summary>Formats a metrics value the way logs show it (invariant culture, 6 significant digits).</summary>
    public static string Format(double value) => value.ToString("G6", CultureInfo.InvariantCulture);
}
