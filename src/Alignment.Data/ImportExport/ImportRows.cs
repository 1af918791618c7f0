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
    private readonly HashSet<string> _numbers;

    internal ImportRow(string fileName, int line, Dictionary<string, string?> fields, HashSet<string>? numbers = null)
    {
        FileName = fileName;
        Line = line;
        _fields = fields;
        _numbers = numbers ?? [];
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
        return Text(field, value);
    }

    /// <summary>
    /// The text of <paramref name="field"/>, or of <paramref name="alias"/> when the row has that instead (a row with both
    /// is refused as ambiguous); throws <see cref="ImportException"/> naming both when neither is there.
    /// </summary>
    public string RequiredOrAlias(string field, string alias)
    {
        var hasField = _fields.ContainsKey(field);
        var hasAlias = _fields.ContainsKey(alias);
        if (hasField && hasAlias)
            throw Error(field, $"and its alias \"{alias}\" are both present; keep one");
        if (!hasField && !hasAlias)
            throw Error(field, $"is missing (its alias \"{alias}\" is accepted too)");
        return Required(hasField ? field : alias);
    }

    /// <summary>The field's text, or null when it is missing, null or empty. A JSON number is accepted only where
    /// <paramref name="numberAllowed"/> (a numeric field such as <c>gold_strength</c>); text fields must be JSON strings.</summary>
    public string? Optional(string field, bool numberAllowed = false) =>
        _fields.TryGetValue(field, out var value) && !string.IsNullOrEmpty(value) ? (numberAllowed ? value : Text(field, value)) : null;

    private string Text(string field, string value) =>
        _numbers.Contains(field) ? throw Error(field, $"must be a string, got the number {value}") : value;

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

    /// <summary>Reads every row; throws <see cref="ImportException"/> at the first malformed one (bytes that are not
    /// UTF-8 included: they are refused with their line and byte offset, never decoded to U+FFFD).</summary>
    public static IEnumerable<ImportRow> Read(Stream content, string fileName, ImportFormat format)
    {
        var bytes = new MemoryStream();
        content.CopyTo(bytes);
        if (Utf8Error.Find(bytes.GetBuffer().AsSpan(0, (int)bytes.Length)) is { } bad)
            throw new ImportException(fileName, bad.Line, null, bad.Problem);
        bytes.Position = 0;
        return format == ImportFormat.Csv ? ReadCsv(bytes, fileName) : ReadJsonLines(bytes, fileName);
    }

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
            HashSet<string> numbers;
            try
            {
                using var document = JsonDocument.Parse(line, new JsonDocumentOptions { AllowDuplicateProperties = false });
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                    throw new ImportException(fileName, lineNumber, null, "is not a JSON object");
                fields = new Dictionary<string, string?>(StringComparer.Ordinal);
                numbers = new HashSet<string>(StringComparer.Ordinal);
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    if (property.Value.ValueKind == JsonValueKind.Number)
                        numbers.Add(property.Name);
                    fields[property.Name] = property.Value.ValueKind switch
                    {
                        JsonValueKind.String => property.Value.GetString(),
                        JsonValueKind.Number => property.Value.GetRawText(),
                        JsonValueKind.Null => null,
                        var kind => throw new ImportException(fileName, lineNumber, property.Name, $"must be a string, got {Describe(kind)}"),
                    };
                }
            }
            catch (JsonException e)
            {
                throw new ImportException(fileName, lineNumber, null, $"is not valid JSON ({e.Message.Split(" Path:")[0].TrimEnd('.')})");
            }
            yield return new ImportRow(fileName, lineNumber, fields, numbers);
        }
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "a list",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => kind.ToString().ToLowerInvariant(),
    };

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
