using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Data.Labeling;

public sealed partial class QueueService
{
    /// <summary>
    /// Records a judgment on the annotator's leased assignment, converting left/right to A/B with the
    /// recorded order. With an idempotency key, a repeated call returns the first result and writes
    /// nothing. Throws <see cref="NotFoundException"/>, <see cref="NotAssignedException"/> (not yours),
    /// <see cref="LeaseExpiredException"/> (lease ran out, item skipped or released),
    /// <see cref="AlreadySubmittedException"/> (a second submission without the same key),
    /// <see cref="IdempotencyConflictException"/> (the key was used for another assignment or an undone judgment),
    /// <see cref="IdempotencyKeyReusedException"/> (the key was used with another judgment),
    /// <see cref="ForbiddenException"/> (not a member of the project) or <see cref="InvalidRequestException"/>.
    /// </summary>
    public SubmitResult Submit(long assignmentId, long annotatorId, JudgmentInput input, string? idempotencyKey = null)
    {
        if (idempotencyKey is { Length: 0 or > 200 })
            throw new InvalidRequestException("The idempotency key must be 1 to 200 characters.");
        return _store.WriteRows(annotatorId, (connection, transaction) =>
        {
            var fingerprint = idempotencyKey is null ? null : JudgmentFingerprint.Of(input);
            if (idempotencyKey is not null)
            {
                var earlier = connection.QuerySingleOrDefault<(long Id, long AssignmentId, long IsActive, string? Hash)?>(
                    "SELECT id, assignment_id, is_active, idempotency_hash FROM judgments WHERE annotator_id = @annotatorId AND idempotency_key = @idempotencyKey",
                    new { annotatorId, idempotencyKey }, transaction);
                // A replay of a judgment that was since undone or revised is not a replay: the client must not
                // believe it is stored. Nor is the same key with another judgment (rows from before the hash was
                // stored have none and replay as they did).
                if (earlier is { } found)
                {
                    if (found.AssignmentId != assignmentId || found.IsActive == 0)
                        throw new IdempotencyConflictException(idempotencyKey);
                    if (found.Hash is not null && found.Hash != fingerprint)
                        throw new IdempotencyKeyReusedException(idempotencyKey, found.Id);
                    return new SubmitResult(found.Id, Replayed: true);
                }
            }
            LockComparisonOf(connection, transaction, assignmentId);
            var assignment = LoadAssignment(connection, transaction, assignmentId, annotatorId);
            ProjectMembers.Require(connection, transaction, assignment.ProjectId, annotatorId);
            if (assignment.State == "done")
                throw new AlreadySubmittedException(assignmentId, ActiveJudgmentOf(connection, transaction, assignmentId));
            var nowText = _store.NowText();
            if (assignment.State != "leased" || string.CompareOrdinal(assignment.LeaseExpiresAt, nowText) <= 0)
                throw new LeaseExpiredException(assignmentId);

            var project = ProjectService.Load(connection, transaction, assignment.ProjectId);
            ShownFrame.Validate(input, project.StrengthMax);
            var judgmentId = InsertJudgment(connection, transaction, assignment.Id, assignment.ComparisonId, annotatorId,
                assignment.LeftIsA != 0, input, idempotencyKey, fingerprint, nowText);
            connection.Execute(
                """
                UPDATE judgments SET superseded_by = @judgmentId
                WHERE assignment_id = @assignmentId AND is_active = 0 AND superseded_by IS NULL AND id <> @judgmentId
                """, new { judgmentId, assignmentId }, transaction);
            connection.Execute("UPDATE assignments SET state = 'done', updated_at = @nowText WHERE id = @assignmentId",
                new { assignmentId, nowText }, transaction);
            connection.Execute("UPDATE comparisons SET judged = judged + 1 WHERE id = @ComparisonId",
                new { assignment.ComparisonId }, transaction);
            return new SubmitResult(judgmentId, Replayed: false);
        });
    }

    /// <summary>
    /// Undoes the annotator's most recent active judgment in the project: the judgment is superseded
    /// (kept, marked inactive), the item is leased back to the same annotator with the same left/right
    /// order and returned so it can be judged again. A lease the annotator held on another item is released.
    /// Throws <see cref="NothingToUndoException"/>.
    /// </summary>
    public QueueItem UndoLast(long projectId, long annotatorId) => _store.WriteRows(annotatorId, (connection, transaction) =>
    {
        var project = ProjectService.Load(connection, transaction, projectId);
        ProjectMembers.Require(connection, transaction, projectId, annotatorId);
        var last = connection.QuerySingleOrDefault<(long Id, long AssignmentId, long ComparisonId)?>(
            """
            SELECT j.id, j.assignment_id, j.comparison_id
            FROM judgments j JOIN assignments s ON s.id = j.assignment_id
            WHERE j.annotator_id = @annotatorId AND j.is_active = 1 AND s.project_id = @projectId
            ORDER BY j.id DESC LIMIT 1
            """, new { annotatorId, projectId }, transaction) ?? throw new NothingToUndoException(annotatorId);
        // The item judged and the one held now change their slots: lock both first (in id order).
        var heldComparisons = connection.Query<long>(
            "SELECT comparison_id FROM assignments WHERE annotator_id = @annotatorId AND project_id = @projectId AND state = 'leased'",
            new { annotatorId, projectId }, transaction);
        LockComparisons(connection, transaction, heldComparisons.Append(last.ComparisonId));

        var now = _store.Clock.GetUtcNow();
        var nowText = Timestamps.ToText(now);
        connection.Execute("UPDATE judgments SET is_active = 0, superseded_at = @nowText WHERE id = @Id",
            new { last.Id, nowText }, transaction);
        connection.Execute("UPDATE comparisons SET judged = judged - 1 WHERE id = @ComparisonId", new { last.ComparisonId }, transaction);

        var held = connection.Query<long>(
            """
            UPDATE assignments SET state = 'released', updated_at = @nowText
            WHERE annotator_id = @annotatorId AND project_id = @projectId AND state = 'leased'
            RETURNING comparison_id
            """, new { annotatorId, projectId, nowText }, transaction).ToList();
        foreach (var comparisonId in held)
            RefreshRemaining(connection, transaction, comparisonId);

        connection.Execute(
            "UPDATE assignments SET state = 'leased', lease_expires_at = @Expires, updated_at = @nowText WHERE id = @AssignmentId",
            new { last.AssignmentId, Expires = Timestamps.ToText(now.AddMinutes(project.LeaseMinutes)), nowText }, transaction);
        RefreshRemaining(connection, transaction, last.ComparisonId);
        return LoadItem(connection, transaction, last.AssignmentId);
    });

    /// <summary>
    /// Undoes the annotator's most recent active judgment in whichever project it was made
    /// (see <see cref="UndoLast(long, long)"/>). Throws <see cref="NothingToUndoException"/>.
    /// </summary>
    public QueueItem UndoLast(long annotatorId)
    {
        var projectId = _store.Read(connection => connection.ExecuteScalar<long?>(
            """
            SELECT s.project_id FROM judgments j JOIN assignments s ON s.id = j.assignment_id
            WHERE j.annotator_id = @annotatorId AND j.is_active = 1
            ORDER BY j.id DESC LIMIT 1
            """, new { annotatorId })) ?? throw new NothingToUndoException(annotatorId);
        return UndoLast(projectId, annotatorId);
    }

    /// <summary>
    /// Replaces one of the annotator's own active judgments with a new one (same assignment and order);
    /// the old row is kept, inactive, pointing to its replacement. Returns the new judgment id.
    /// </summary>
    public long Revise(long judgmentId, long annotatorId, JudgmentInput input) => _store.Write((connection, transaction) =>
    {
        var old = connection.QuerySingleOrDefault<(long AssignmentId, long ComparisonId, long AnnotatorId, long LeftIsA, long IsActive, long ProjectId)?>(
            """
            SELECT j.assignment_id, j.comparison_id, j.annotator_id, j.left_is_a, j.is_active, s.project_id
            FROM judgments j JOIN assignments s ON s.id = j.assignment_id
            WHERE j.id = @judgmentId
            """, new { judgmentId }, transaction) ?? throw new NotFoundException("judgment", judgmentId);
        if (old.AnnotatorId != annotatorId)
            throw new ForbiddenException($"Judgment {judgmentId} belongs to another annotator.");
        if (old.IsActive == 0)
            throw new InvalidRequestException($"Judgment {judgmentId} was already superseded; revise the active one.");
        ProjectMembers.Require(connection, transaction, old.ProjectId, annotatorId);
        var project = ProjectService.Load(connection, transaction, old.ProjectId);
        ShownFrame.Validate(input, project.StrengthMax);

        var nowText = _store.NowText();
        connection.Execute("UPDATE judgments SET is_active = 0, superseded_at = @nowText WHERE id = @judgmentId",
            new { judgmentId, nowText }, transaction);
        var newId = InsertJudgment(connection, transaction, old.AssignmentId, old.ComparisonId, annotatorId, old.LeftIsA != 0, input, null, null, nowText);
        connection.Execute("UPDATE judgments SET superseded_by = @newId WHERE id = @judgmentId", new { newId, judgmentId }, transaction);
        return newId;
    });

    private static long InsertJudgment(DbConnection connection, DbTransaction transaction, long assignmentId, long comparisonId,
        long annotatorId, bool leftIsA, JudgmentInput input, string? idempotencyKey, string? idempotencyHash, string nowText)
    {
        var (outcome, strength) = ShownFrame.ToUnderlying(input.Choice, input.Strength, leftIsA);
        return connection.ExecuteScalar<long>(
            """
            INSERT INTO judgments (assignment_id, comparison_id, annotator_id, outcome, strength, rationale,
                                   helpful, harmless, honest, time_ms, left_is_a, idempotency_key, idempotency_hash, is_active, created_at)
            VALUES (@assignmentId, @comparisonId, @annotatorId, @Outcome, @strength, @Rationale,
                    @Helpful, @Harmless, @Honest, @TimeMs, @LeftIsA, @idempotencyKey, @idempotencyHash, 1, @nowText)
            RETURNING id
            """,
            new
            {
                assignmentId, comparisonId, annotatorId, Outcome = outcome.ToCode(), strength,
                Rationale = string.IsNullOrWhiteSpace(input.Rationale) ? null : input.Rationale,
                input.Aspects?.Helpful, input.Aspects?.Harmless, input.Aspects?.Honest, input.TimeMs,
                LeftIsA = leftIsA ? 1L : 0L, idempotencyKey, idempotencyHash, nowText,
            }, transaction);
    }
}
