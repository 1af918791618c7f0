using Alignment.Data.Projects;
using Alignment.Data.Store;
using CsvHelper;
using Dapper;

namespace Alignment.Data.ImportExport;

/// <summary>
/// Exports every judgment of a project (superseded ones included, flagged) as CSV with CsvHelper:
/// <c>judgment_id, comparison_id, annotator, outcome, strength, shown_left, rationale, helpful, harmless,
/// honest, time_ms, created_at, superseded, superseded_by, is_gold</c>. Outcome and strength are in the A/B
/// frame (−3 = A much better); <c>shown_left</c> says which response the annotator saw on the left.
/// Text that a spreadsheet would run as a formula is escaped with a leading apostrophe.
/// </summary>
public sealed class JudgmentCsvExporter(AlignStore store)
{
    /// <summary>The header, in column order.</summary>
    public static readonly string[] Columns =
    [
        "judgment_id", "comparison_id", "annotator", "outcome", "strength", "shown_left", "rationale",
        "helpful", "harmless", "honest", "time_ms", "created_at", "superseded", "superseded_by", "is_gold",
    ];

    /// <summary>Writes the file atomically; returns the number of judgment rows.</summary>
    public int ExportFile(long projectId, string path) => AtomicFile.Write(path, stream => Write(projectId, stream));

    /// <summary>Writes to a stream (for downloads); returns the number of judgment rows.</summary>
    public int Write(long projectId, Stream destination) => store.Read(connection =>
    {
        ProjectService.Load(connection, null, projectId);
        var rows = connection.Query<Row>(
            """
            SELECT j.id, j.comparison_id, a.name AS annotator, j.outcome, j.strength, j.left_is_a, j.rationale,
                   j.helpful, j.harmless, j.honest, j.time_ms, j.created_at, j.is_active, j.superseded_by, c.is_gold
            FROM judgments j
            JOIN comparisons c ON c.id = j.comparison_id
            JOIN annotators a ON a.id = j.annotator_id
            WHERE c.project_id = @projectId
            ORDER BY j.id
            """, new { projectId }, buffered: false);
        var options = CsvWriterOptions.Default with { Injection = CsvInjection.Escape, NewLine = "\n" };
        using var csv = CsvWriter.Create(destination, options, leaveOpen: true);
        csv.WriteHeader(Columns);
        var count = 0;
        foreach (var row in rows)
        {
            csv.WriteField(row.Id, default);
            csv.WriteField(row.ComparisonId, default);
            csv.WriteField(row.Annotator);
            csv.WriteField(row.Outcome);
            csv.WriteField(row.Strength, default);
            csv.WriteField(row.LeftIsA != 0 ? "A" : "B");
            csv.WriteField(row.Rationale);
            csv.WriteField(row.Helpful, default);
            csv.WriteField(row.Harmless, default);
            csv.WriteField(row.Honest, default);
            csv.WriteField(row.TimeMs, default);
            csv.WriteField(row.CreatedAt);
            csv.WriteField(row.IsActive == 0 ? "true" : "false");
            csv.WriteField(row.SupersededBy, default);
            csv.WriteField(row.IsGold != 0 ? "true" : "false");
            csv.EndRecord();
            count++;
        }
        csv.Flush();
        return count;
    });

    private sealed class Row
    {
        public long Id { get; set; }
        public long ComparisonId { get; set; }
        public string Annotator { get; set; } = "";
        public string Outcome { get; set; } = "";
        public long Strength { get; set; }
        public long LeftIsA { get; set; }
        public string? Rationale { get; set; }
        public long? Helpful { get; set; }
        public long? Harmless { get; set; }
        public long? Honest { get; set; }
        public long TimeMs { get; set; }
        public string CreatedAt { get; set; } = "";
        public long IsActive { get; set; }
        public long? SupersededBy { get; set; }
        public long IsGold { get; set; }
    }
}
