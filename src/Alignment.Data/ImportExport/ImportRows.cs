using System.Text.Json;
using CsvHelper;

namespace Alignment.Data.ImportExport;

/// <summary>The file formats an import reads.</summary>
public enum ImportFormat
{
    /// <summary>One JSON object per line; blank lines are skipped.</summary>
    JsonLines,
    /// <summary>Comma-separated values with a header row (RFC 4180 quoting).</summary>
    Csv,
}

/// <summary>One row of an import file: its fields as text, and where it came from.</summary>
public sealed class ImportRow
{
    private readonly Dictionary<string, string?> _fields;

    internal ImportRow(string fileName, int line, Dictionary<string, string?> fields)
    {
        FileName = fileName;
        Line = line;
        _fields = fields;
    }

    /// <summary>The file name used in error messages.</summary>
    public string FileName { get; }

    /// <summary>The 1-based line the row starts on.</summary>
    public int Line { get; }

    /// <summary>The field's text; throws <see cref="ImportException"/> when it is missing, null or empty.</summary>
    public string Required(string field)
    {
        if (!_fields.TryGetValue(field, out var value) || value is null)
            throw Error(field, "is missing");
        if (value.Length == 0)
            throw Error(field, "is empty");
        return value;
    }

    /// <summary>The field's text, or null when it is missing, null or empty.</summary>
    public string? Optional(string field) =>
        _fields.TryGetValue(field, out var value) && !string.IsNullOrEmpty(value) ? value : null;

    /// <summary>An error about this row (and <paramref name="field"/>, when given).</summary>
    public ImportException Error(string? field, string problem) => new(FileName, Line, field, problem);
}

/// <summary>Reads JSONL or CSV import files row by row, keeping line numbers for error messages.</summary>
public static class ImportRows
{
    /// <summary>The format implied by the file name: <c>.csv</c> is CSV, <c>.jsonl</c>, <c>.ndjson</c> and <c>.json</c> are JSON lines.</summary>
    public static ImportFormat FormatOf(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".csv" => ImportFormat.Csv,
        ".jsonl" or ".ndjson" or ".json" => ImportFormat.JsonLines,
        var other => throw new ImportException(Path.GetFileName(fileName), 0, null,
            $"unknown file type '{other}'; use .jsonl or .csv"),
    };

    /// <summary>Reads every row; throws <see cref="ImportException"/> at the first malformed one.</summary>
    public static IEnumerable<ImportRow> Read(Stream content, string fileName, ImportFormat format) =>
        format == ImportFormat.Csv ? ReadCsv(content, fileName) : ReadJsonLines(content, fileName);

    private static IEnumerable<ImportRow> ReadJsonLines(Stream content, string fileName)
    {
        using var reader = new StreamReader(content, leaveOpen: true);
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            Dictionary<string, string?> fields;
            try
            {
                using var document = JsonDocument.Parse(line);
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw new ImportException(fileName, lineNumber, null, "is not a JSON object");
                fields = new Dictionary<string, string?>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    fields[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.Null => null,
                        _ => throw new ImportException(fileName, lineNumber, property.Name, "must be a string"),
                    };
                }
            }
            catch (JsonException e)
            {
                throw new ImportException(fileName, lineNumber, null, $"is not valid JSON ({e.Message.Split(" Path:")[0].TrimEnd('.')})");
            }
            yield return new ImportRow(fileName, lineNumber, fields);
        }
    }

    private static IEnumerable<ImportRow> ReadCsv(Stream content, string fileName)
    {
        var options = CsvReaderOptions.Default with
        {
            Separator = ',',
            HasHeader = true,
            TrackLineNumbers = true,
            TrimWhitespace = false,
            MalformedData = CsvMalformedDataHandling.Throw,
            FieldCountMismatch = CsvFieldCountHandling.Allow,
        };
        using var csv = CsvReader.Create(content, options, leaveOpen: true);
        string[] header;
        try
        {
            header = csv.Headers.Select(h => h.Trim()).ToArray();
        }
        catch (CsvFormatException e)
        {
            throw new ImportException(fileName, Math.Max(1, (int)e.LineNumber), null, $"has a malformed header ({e.Message})");
        }
        while (true)
        {
            bool more;
            try
            {
                more = csv.Read();
            }
            catch (CsvFormatException e)
            {
                throw new ImportException(fileName, (int)e.LineNumber, null, $"is not valid CSV ({e.Message})");
            }
            if (!more)
                yield break;
            var line = (int)csv.LineNumber;
            if (csv.FieldCount != header.Length)
                throw new ImportException(fileName, line, null, $"has {csv.FieldCount} columns but the header has {header.Length}");
            var fields = new Dictionary<string, string?>(StringComparer.Ordinal);
            for (var i = 0; i < header.Length; i++)
                fields[header[i]] = csv.GetString(i) ?? "";
            yield return new ImportRow(fileName, line, fields);
        }
    }
}
