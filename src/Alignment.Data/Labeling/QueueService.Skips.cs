using Alignment.Data.Model;
using Alignment.Data.Projects;
using Dapper;

namespace Alignment.Data.Labeling;

public sealed partial class QueueService
{
    /// <summary>
    /// The regular comparisons of a project that someone skipped and that still lack judgments, oldest skip first: a
    /// skipped item is not offered to its skipper again, so with few annotators it can be left with nobody to judge it
    /// until an admin reopens it (<see cref="Reopen"/>).
    /// </summary>
    public IReadOnlyList<SkippedItem> Skipped(long projectId) => _store.Read(connection =>
    {
        var project = ProjectService.Load(connection, null, projectId);
        return connection.Query<(long ComparisonId, string Prompt, long Skips, long Judged)>(
            """
            SELECT c.id, p.text, COUNT(1), c.judged
            FROM assignments s
            JOIN comparisons c ON c.id = s.comparison_id
            JOIN prompts p ON p.id = c.prompt_id
            WHERE s.project_id = @projectId AND s.state = 'skipped' AND c.is_gold = 0 AND c.judged < @k
            GROUP BY c.id, p.text, c.judged
            ORDER BY MIN(s.updated_at), c.id
            """, new { projectId, k = project.OverlapK })
            .Select(r => new SkippedItem(r.ComparisonId, r.Prompt, r.Skips, r.Judged, project.OverlapK)).ToList();
    });

    /// <summary>
    /// Offers a skipped comparison again to the annotators who skipped it: their skips become released assignments, so
    /// the queue may serve it to them like any item they have not had. Returns how many skips were reopened; throws
    /// <see cref="NotFoundException"/> when the comparison has no skip in the project.
    /// </summary>
    public int Reopen(long projectId, long comparisonId) => _store.Write((connection, transaction) =>
    {
        var reopened = connection.Execute(
            """
            UPDATE assignments SET state = 'released', updated_at = @now
            WHERE project_id = @projectId AND comparison_id = @comparisonId AND state = 'skipped'
            """, new { projectId, comparisonId, now = _store.NowText() }, transaction);
        if (reopened == 0)
            throw new NotFoundException("skipped comparison", comparisonId);
        RefreshRemaining(connection, transaction, comparisonId);
        return reopened;
    });
}
