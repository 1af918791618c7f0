using Dapper;

namespace Alignment.Data.Labeling;

public sealed partial class QueueService
{
    /// <summary>
    /// Retracts, in one transaction, the active judgments in a project of every annotator whose name starts with
    /// <paramref name="namePrefix"/> and is not in <paramref name="keep"/>: each judgment is kept but marked inactive
    /// (superseded now), its comparison's judged count goes down and its assignment is released, so the slot returns to
    /// the pool. Used when a scripted judge's configuration changes: the old judge's verdicts no longer count and the new
    /// one judges every comparison again. Returns how many judgments were retracted.
    /// </summary>
    public int RetractJudgments(long projectId, string namePrefix, IReadOnlyCollection<string> keep) => _store.Write((connection, transaction) =>
    {
        var nowText = _store.NowText();
        var retracted = connection.Query<(long Id, long AssignmentId, long ComparisonId, string Annotator)>(
            """
            SELECT j.id, j.assignment_id, j.comparison_id, a.name
            FROM judgments j
            JOIN assignments s ON s.id = j.assignment_id
            JOIN annotators a ON a.id = j.annotator_id
            WHERE s.project_id = @projectId AND j.is_active = 1 AND substr(a.name, 1, length(@namePrefix)) = @namePrefix
            """, new { projectId, namePrefix }, transaction)
            .Where(j => !keep.Contains(j.Annotator)).ToList();
        foreach (var j in retracted)
        {
            connection.Execute("UPDATE judgments SET is_active = 0, superseded_at = @nowText WHERE id = @Id", new { j.Id, nowText }, transaction);
            connection.Execute("UPDATE comparisons SET judged = judged - 1 WHERE id = @ComparisonId", new { j.ComparisonId }, transaction);
            connection.Execute("UPDATE assignments SET state = 'released', updated_at = @nowText WHERE id = @AssignmentId", new { j.AssignmentId, nowText }, transaction);
            RefreshRemaining(connection, transaction, j.ComparisonId);
        }
        return retracted.Count;
    });
}
