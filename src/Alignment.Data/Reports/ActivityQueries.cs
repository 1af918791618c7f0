using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.Reports;

/// <summary>One annotator's activity in a project (admin view).</summary>
/// <param name="Annotator">Name.</param>
/// <param name="Judgments">Active judgments (gold included).</param>
/// <param name="Gold">Of those, on gold items.</param>
/// <param name="Skipped">Items skipped.</param>
/// <param name="Leased">Items leased right now (0 or 1).</param>
/// <param name="Undone">Judgments undone or revised (superseded).</param>
/// <param name="MedianSeconds">Median time per active judgment, seconds.</param>
/// <param name="LastJudgedAt">The latest active judgment, or null.</param>
public sealed record AnnotatorActivity(string Annotator, long Judgments, long Gold, long Skipped, long Leased, long Undone,
    double? MedianSeconds, DateTimeOffset? LastJudgedAt);

/// <summary>Read-only queries for the admin's live progress view (parameterized Dapper SQL, named columns).</summary>
public sealed class ActivityQueries(AlignStore store)
{
    /// <summary>Every annotator who has touched the project, busiest first.</summary>
    public IReadOnlyList<AnnotatorActivity> Activity(long projectId) => store.Read(connection =>
    {
        Projects.ProjectService projects = new(store);
        projects.Get(projectId);
        var rows = connection.Query<Row>(
            """
            SELECT a.name AS annotator,
                   (SELECT COUNT(1) FROM judgments j JOIN assignments s ON s.id = j.assignment_id
                    WHERE j.annotator_id = a.id AND s.project_id = @projectId AND j.is_active = 1) AS judgments,
                   (SELECT COUNT(1) FROM judgments j JOIN assignments s ON s.id = j.assignment_id
                    WHERE j.annotator_id = a.id AND s.project_id = @projectId AND j.is_active = 1 AND s.is_gold = 1) AS gold,
                   (SELECT COUNT(1) FROM assignments s WHERE s.annotator_id = a.id AND s.project_id = @projectId AND s.state = 'skipped') AS skipped,
                   (SELECT COUNT(1) FROM assignments s WHERE s.annotator_id = a.id AND s.project_id = @projectId AND s.state = 'leased'
                        AND s.lease_expires_at > @now) AS leased,
                   (SELECT COUNT(1) FROM judgments j JOIN assignments s ON s.id = j.assignment_id
                    WHERE j.annotator_id = a.id AND s.project_id = @projectId AND j.is_active = 0) AS undone,
                   (SELECT MAX(j.created_at) FROM judgments j JOIN assignments s ON s.id = j.assignment_id
                    WHERE j.annotator_id = a.id AND s.project_id = @projectId AND j.is_active = 1) AS last_judged_at
            FROM annotators a
            WHERE EXISTS (SELECT 1 FROM assignments s WHERE s.annotator_id = a.id AND s.project_id = @projectId)
            ORDER BY judgments DESC, a.name
            """, new { projectId, now = store.NowText() }).ToList();
        var times = connection.Query<(string Annotator, long TimeMs)>(
            """
            SELECT a.name AS annotator, j.time_ms
            FROM judgments j JOIN assignments s ON s.id = j.assignment_id JOIN annotators a ON a.id = j.annotator_id
            WHERE s.project_id = @projectId AND j.is_active = 1
            """, new { projectId }).ToLookup(t => t.Annotator, t => t.TimeMs);
        return rows.Select(r => new AnnotatorActivity(r.Annotator, r.Judgments, r.Gold, r.Skipped, r.Leased, r.Undone,
            Median(times[r.Annotator].ToList()), r.LastJudgedAt is null ? null : Timestamps.Parse(r.LastJudgedAt))).ToList();
    });

    private static double? Median(List<long> values)
    {
        if (values.Count == 0)
            return null;
        values.Sort();
        var mid = values.Count / 2;
        var ms = values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2.0;
        return Math.Round(ms / 1000.0, 1);
    }

    private sealed class Row
    {
        public string Annotator { get; set; } = "";
        public long Judgments { get; set; }
        public long Gold { get; set; }
        public long Skipped { get; set; }
        public long Leased { get; set; }
        public long Undone { get; set; }
        public string? LastJudgedAt { get; set; }
    }
}
