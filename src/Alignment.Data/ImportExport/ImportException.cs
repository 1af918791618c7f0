using Alignment.Data.Model;

namespace Alignment.Data.ImportExport;

/// <summary>
/// A bad row in an import file. The message names the file, the line and the field, e.g.
/// <c>pairs.jsonl:17: field "response_b" is missing</c>. Nothing of the import was written.
/// </summary>
public sealed class ImportException : LabelingException
{
    /// <summary>Creates the error for <paramref name="fileName"/> at <paramref name="line"/> (1-based).</summary>
    public ImportException(string fileName, int line, string? field, string problem)
        : base("bad_import_row", LabelingErrorKind.Invalid,
            field is null ? $"{fileName}:{line}: {problem}" : $"{fileName}:{line}: field \"{field}\" {problem}")
    {
        FileName = fileName;
        Line = line;
        Field = field;
    }

    /// <summary>The file name as given (no folder).</summary>
    public string FileName { get; }

    /// <summary>The 1-based line where the bad row starts.</summary>
    public int Line { get; }

    /// <summary>The field at fault, or null when the row as a whole is bad.</summary>
    public string? Field { get; }
}
