using Alignment.Data.ImportExport;
using Alignment.Data.Projects;

namespace Alignment.LabelingUi.Features.Projects;

/// <summary>
/// Writes an export (TRL preference JSONL, KTO JSONL or judgment CSV) to a temporary file that is deleted when the
/// download stream closes: the exporters write synchronously, which the response stream does not allow, and a file keeps
/// memory flat for big projects.
/// </summary>
public static class ProjectExport
{
    /// <summary>The download: stream, content type and file name.</summary>
    public static (Stream Content, string ContentType, string FileName) Open(Project project, string format,
        PreferenceExporter preferences, JudgmentCsvExporter judgments)
    {
        var temp = new FileStream(Path.Combine(Path.GetTempPath(), $"align-export-{Guid.NewGuid():N}.tmp"), FileMode.CreateNew,
            FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        try
        {
            var safeName = string.Concat(project.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_'));
            (string contentType, string fileName) = format switch
            {
                "trl" => Write(() => preferences.Write(project.Id, temp, null), "application/x-ndjson", $"{safeName}-preferences.jsonl"),
                "kto" => Write(() => preferences.Write(project.Id, Stream.Null, temp), "application/x-ndjson", $"{safeName}-kto.jsonl"),
                "csv" => Write(() => judgments.Write(project.Id, temp), "text/csv", $"{safeName}-judgments.csv"),
                _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Use DataWords.ExportFormat first."),
            };
            temp.Flush();
            temp.Position = 0;
            return (temp, contentType, fileName);
        }
        catch
        {
            temp.Dispose();
            throw;
        }
    }

    private static (string, string) Write(Action write, string contentType, string fileName)
    {
        write();
        return (contentType, fileName);
    }
}
