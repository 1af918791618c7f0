using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Data.Labeling;

/// <summary>
/// Per-annotator queues with overlap k. Each regular comparison gets k judgments from k different
/// annotators (never two by one); an annotator holds at most one lease per project; leases expire and
/// the item returns to the pool; comparisons closest to completion are served first, in an order shuffled per
/// annotator; gold items are
/// mixed in at the project's rate (every annotator sees each gold item at most once, outside k).
/// On SQLite every state change runs in a <c>BEGIN IMMEDIATE</c> transaction, so concurrent annotators never take the
/// same slot. On PostgreSQL annotators run side by side (<see cref="AlignStore.WriteRows{T}"/>: one annotator's requests
/// one at a time) and every change to a comparison's assignments holds that comparison's row lock: the queue reads a few
/// candidates without locks, locks the first one nobody holds with <c>FOR UPDATE SKIP LOCKED</c> and checks its free
/// slots again under the lock; judging,
/// skipping, undo and lease expiry lock the comparisons they change (several in id order, so two never wait on each
/// other). Writes that change many comparisons at once (overlap k, members, import) keep the store-wide lock.
/// </summary>
public sealed partial class QueueService
{
    private readonly AlignStore _store;
    private readonly Random _random;
    private readonly Lock _randomLock = new();

    /// <summary>True on PostgreSQL: writes lock the comparison rows they change (SQLite's transaction holds the whole store).</summary>
    private readonly bool _rowLocks;

    /// <summary>Creates the service; <paramref name="random"/> (for the left/right draw) is seeded in tests.</summary>
    public QueueService(AlignStore store, Random? random = null)
    {
        _store = store;
        _random = random ?? new Random();
        _rowLocks = store.Provider == StoreProvider.PostgreSql;
    }

    /// <summary>
    /// The annotator's next item with a lease, or null when nothing is left for them. Returns the
    /// annotator's current live lease in the project when they hold one (a reload shows the same item).
    /// Throws <see cref="ForbiddenException"/> for a disabled account or one that is not a member of the project.
    /// </summary>
    public QueueItem? NextItem(long projectId, long annotatorId)
    {
        // With row locks, expiry commits on its own first, so the transaction below holds no comparison's lock when it
        // waits for one.
        if (_rowLocks)
            ExpireLeases();
        return _store.WriteRows(annotatorId, (connection, transaction) => NextItem(connection, transaction, projectId, annotatorId));
    }

    private QueueItem? NextItem(DbConnection connection, DbTransaction transaction, long projectId, long annotatorId)
    {
        var project = ProjectService.Load(connection, transaction, projectId);
        ProjectMembers.Require(connection, transaction, projectId, annotatorId);
        var now = _store.Clock.GetUtcNow();
        var nowText = Timestamps.ToText(now);
        if (!_rowLocks)
            ExpireLeases(connection, transaction, nowText, rowLocks: false);

        var current = connection.ExecuteScalar<long?>(
            """
            SELECT id FROM assignments
            WHERE annotator_id = @annotatorId AND project_id = @projectId AND state = 'leased' AND lease_expires_at > @nowText
            ORDER BY id DESC LIMIT 1
            """, new { annotatorId, projectId, nowText }, transaction);
        if (current is long assignmentId)
            return LoadItem(connection, transaction, assignmentId);

        // At gold rate 0 no gold item is served, not even once the regular ones are used up.
        var goldFirst = project.GoldRate > 0 && GoldIsDue(connection, transaction, projectId, annotatorId, project.GoldRate);
        var pick = goldFirst
            ? PickGold(connection, transaction, projectId, annotatorId) ?? PickRegular(connection, transaction, projectId, annotatorId)
            : PickRegular(connection, transaction, projectId, annotatorId)
              ?? (project.GoldRate > 0 ? PickGold(connection, transaction, projectId, annotatorId) : null);
        if (pick is not (long comparisonId, bool isGold))
            return null;

        var leftIsA = NextCoin();
        var expires = Timestamps.ToText(now.AddMinutes(project.LeaseMinutes));
        // Flags go in as 0/1 integers: the columns are integers in both dialects, and PostgreSQL does not cast a
        // boolean parameter to bigint.
        var leased = connection.ExecuteScalar<long>(
            """
            INSERT INTO assignments (project_id, comparison_id, annotator_id, is_gold, left_is_a, state, lease_expires_at, created_at, updated_at)
            VALUES (@projectId, @comparisonId, @annotatorId, @isGold, @leftIsA, 'leased', @expires, @nowText, @nowText)
            ON CONFLICT (comparison_id, annotator_id) DO UPDATE
                SET state = 'leased', lease_expires_at = excluded.lease_expires_at, updated_at = excluded.updated_at
            RETURNING id
            """,
            new { projectId, comparisonId, annotatorId, isGold = isGold ? 1L : 0L, leftIsA = leftIsA ? 1L : 0L, expires, nowText }, transaction);
        RefreshRemaining(connection, transaction, comparisonId);
        return LoadItem(connection, transaction, leased);
    }

    /// <summary>
    /// Gives the item back without judging it; it is not offered to this annotator again and its slot
    /// returns to the pool. Throws <see cref="NotAssignedException"/> or <see cref="AlreadySubmittedException"/>.
    /// </summary>
    public void Skip(long assignmentId, long annotatorId) => _store.WriteRows(annotatorId, (connection, transaction) =>
    {
        LockComparisonOf(connection, transaction, assignmentId);
        var assignment = LoadAssignment(connection, transaction, assignmentId, annotatorId);
        ProjectMembers.Require(connection, transaction, assignment.ProjectId, annotatorId);
        if (assignment.State == "done")
            throw new AlreadySubmittedException(assignmentId, ActiveJudgmentOf(connection, transaction, assignmentId));
        connection.Execute("UPDATE assignments SET state = 'skipped', updated_at = @Now WHERE id = @assignmentId",
            new { assignmentId, Now = _store.NowText() }, transaction);
        RefreshRemaining(connection, transaction, assignment.ComparisonId);
        return true;
    });

    /// <summary>Progress overall and for one annotator (regular comparisons only for the overall numbers).</summary>
    public LabelingProgress Progress(long projectId, long annotatorId) => _store.Read(connection =>
    {
        var project = ProjectService.Load(connection, null, projectId);
        var mine = connection.ExecuteScalar<long>(
            "SELECT COUNT(1) FROM assignments WHERE annotator_id = @annotatorId AND project_id = @projectId AND state = 'done'",
            new { annotatorId, projectId });
        var overall = connection.QuerySingle<(long Comparisons, long Completed, long Judged)>(
            """
            SELECT COUNT(1), COALESCE(SUM(CASE WHEN judged >= @k THEN 1 ELSE 0 END), 0), COALESCE(SUM(judged), 0)
            FROM comparisons WHERE project_id = @projectId AND is_gold = 0
            """, new { projectId, k = project.OverlapK });
        return new LabelingProgress(mine, overall.Comparisons, overall.Completed, overall.Judged, overall.Comparisons * project.OverlapK);
    });

    /// <summary>
    /// Marks every lease that has run out as expired and returns its slot to the pool. Returns how many expired. On
    /// PostgreSQL a lease whose comparison another transaction has locked right now is left for the next call.
    /// </summary>
    public int ExpireLeases() =>
        _store.WriteRows(null, (connection, transaction) => ExpireLeases(connection, transaction, _store.NowText(), _rowLocks));

    private static int ExpireLeases(DbConnection connection, DbTransaction transaction, string nowText, bool rowLocks)
    {
        var expired = connection.Query<long>(rowLocks ? ExpireLockedSql : ExpireSql, new { nowText }, transaction).ToList();
        foreach (var comparisonId in expired.Distinct())
            RefreshRemaining(connection, transaction, comparisonId);
        return expired.Count;
    }

    private const string ExpireSql =
        """
        UPDATE assignments SET state = 'expired', updated_at = @nowText
        WHERE state = 'leased' AND lease_expires_at <= @nowText
        RETURNING comparison_id
        """;

    /// <summary>
    /// <see cref="ExpireSql"/> under row locks (PostgreSQL): only the leases of comparisons this transaction could lock
    /// without waiting, so expiry never waits for (or deadlocks with) a request that holds a comparison.
    /// </summary>
    private const string ExpireLockedSql =
        """
        WITH due AS (
            SELECT c.id FROM comparisons c
            WHERE c.id IN (SELECT s.comparison_id FROM assignments s WHERE s.state = 'leased' AND s.lease_expires_at <= @nowText)
            ORDER BY c.id
            FOR UPDATE SKIP LOCKED)
        UPDATE assignments SET state = 'expired', updated_at = @nowText
        WHERE state = 'leased' AND lease_expires_at <= @nowText AND comparison_id IN (SELECT id FROM due)
        RETURNING comparison_id
        """;

    /// <summary>
    /// On PostgreSQL, locks the comparisons (in id order, so two transactions never wait on each other in a cycle) before
    /// their assignments change; on SQLite nothing (the transaction already holds the store).
    /// </summary>
    private void LockComparisons(DbConnection connection, DbTransaction transaction, IEnumerable<long> comparisonIds)
    {
        if (!_rowLocks)
            return;
        foreach (var comparisonId in comparisonIds.Distinct().Order())
            connection.Execute("SELECT id FROM comparisons WHERE id = @comparisonId FOR UPDATE", new { comparisonId }, transaction);
    }

    /// <summary>On PostgreSQL, locks the comparison of an assignment (see <see cref="LockComparisons"/>); an unknown id locks nothing.</summary>
    private void LockComparisonOf(DbConnection connection, DbTransaction transaction, long assignmentId)
    {
        if (!_rowLocks)
            return;
        var comparisonId = connection.ExecuteScalar<long?>("SELECT comparison_id FROM assignments WHERE id = @assignmentId", new { assignmentId }, transaction);
        if (comparisonId is long id)
            LockComparisons(connection, transaction, [id]);
    }

    private static bool GoldIsDue(DbConnection connection, DbTransaction transaction, long projectId, long annotatorId, double goldRate)
    {
        var served = connection.QuerySingle<(long Total, long Gold)>(
            """
            SELECT COUNT(1), COALESCE(SUM(is_gold), 0) FROM assignments
            WHERE annotator_id = @annotatorId AND project_id = @projectId AND state IN ('leased', 'done', 'skipped')
            """, new { annotatorId, projectId }, transaction);
        return served.Gold < goldRate * (served.Total + 1);
    }

    /// <summary>
    /// The hot query: the open regular comparison closest to completion that the annotator has not had. Among those
    /// equally close, the order is shuffled per annotator: comparison ids are permuted by <c>id · m mod p</c> with the
    /// prime p = 2³¹ − 1 and a multiplier m drawn from the annotator and project (<see cref="ShuffleMultiplier"/>), so
    /// two annotators meet a file's items in different orders and never in file order (each prompt's pairs one after
    /// another). The inner query walks <c>ix_comparisons_open</c> to the lowest remaining count free for the annotator
    /// (no sort); only the free rows with that count are sorted.
    /// </summary>
    internal const string PickRegularSql = ClosestOpenSql + "\n" +
        """
          AND NOT EXISTS (SELECT 1 FROM assignments s
                          WHERE s.comparison_id = c.id AND s.annotator_id = @annotatorId
                            AND s.state IN ('leased', 'done', 'skipped'))
        """ + "\n" + AnnotatorOrderSql + "\nLIMIT 1";

    /// <summary>What both picks share: the project's open regular comparisons at the lowest remaining count among those
    /// free for the annotator (its exclusion of the annotator's own comparisons follows in each pick).</summary>
    private const string ClosestOpenSql =
        """
        SELECT c.id FROM comparisons c
        WHERE c.project_id = @projectId AND c.is_gold = 0 AND c.remaining > 0
          AND c.remaining = (SELECT o.remaining FROM comparisons o
                             WHERE o.project_id = @projectId AND o.is_gold = 0 AND o.remaining > 0
                               AND NOT EXISTS (SELECT 1 FROM assignments s
                                               WHERE s.comparison_id = o.id AND s.annotator_id = @annotatorId
                                                 AND s.state IN ('leased', 'done', 'skipped'))
                             ORDER BY o.remaining LIMIT 1)
        """;

    /// <summary>The annotator's order of equally close comparisons (see <see cref="PickRegularSql"/>).</summary>
    private const string AnnotatorOrderSql = "ORDER BY (c.id * @multiplier) % 2147483647, c.id";

    /// <summary>
    /// The annotator's shuffle multiplier in 1 .. 2³¹ − 2: a SplitMix64 hash of (annotator, project), so it is stable
    /// across requests (a reload does not reorder the queue) and differs between annotators.
    /// </summary>
    internal static long ShuffleMultiplier(long annotatorId, long projectId)
    {
        var z = unchecked((ulong)annotatorId * 0x9E3779B97F4A7C15UL + (ulong)projectId * 0xBF58476D1CE4E5B9UL + 0x94D049BB133111EBUL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return (long)(z % 2147483646UL) + 1;
    }

    /// <summary>
    /// <see cref="PickRegularSql"/> as PostgreSQL runs it fast: the comparisons the annotator already had are one hashed
    /// subquery (<c>NOT IN</c>; comparison_id is never null, so it means what <c>NOT EXISTS</c> means) that an
    /// index-only scan of <c>ix_assignments_annotator</c> answers, and no row is locked here, so the candidates also come
    /// from the index alone and only the first <see cref="Candidates"/> in the annotator's order are kept (a top-N sort).
    /// With <c>FOR UPDATE</c> in the query, PostgreSQL reads every joined row from the table for its recheck, and sorts
    /// all free rows before locking: at 1M judgments (10,000 per annotator) 17 ms of a 23 ms next-item call.
    /// </summary>
    internal const string PickRegularCandidatesSql = ClosestOpenSql + "\n" +
        """
          AND c.id NOT IN (SELECT s.comparison_id FROM assignments s
                           WHERE s.annotator_id = @annotatorId AND s.project_id = @projectId
                             AND s.state IN ('leased', 'done', 'skipped'))
        """ + "\n" + AnnotatorOrderSql + "\nLIMIT @candidates";

    /// <summary>Candidates <see cref="PickRegularCandidatesSql"/> returns: more than the annotators who usually hold one
    /// of the closest comparisons at the same instant.</summary>
    internal const int Candidates = 8;

    private (long, bool)? PickRegular(DbConnection connection, DbTransaction transaction, long projectId, long annotatorId)
    {
        var multiplier = ShuffleMultiplier(annotatorId, projectId);
        if (!_rowLocks)
            return connection.ExecuteScalar<long?>(PickRegularSql, new { projectId, annotatorId, multiplier }, transaction) is long value ? (value, false) : null;

        // PostgreSQL: the first candidate in the annotator's order that nobody holds now (SKIP LOCKED) and that still has
        // a free slot (another annotator may have taken the last one since the query's snapshot; the lock statement reads
        // the row again). When every candidate is held or full, wait for the first one's lock and check it again; when
        // that one is full too, ask again (each statement reads the committed state anew, so a filled comparison is not
        // offered twice). Each try runs in a savepoint that is rolled back when it finds nothing: a row that filled up
        // between a lock statement's snapshot and its lock stays locked otherwise, and a transaction that waits for a
        // lock while it holds another can deadlock with one that does the same the other way round.
        while (true)
        {
            var candidates = connection.Query<long>(PickRegularCandidatesSql,
                new { projectId, annotatorId, multiplier, candidates = Candidates }, transaction).AsList();
            if (candidates.Count == 0)
                return null;
            if (TryLock(connection, transaction, candidates, "FOR UPDATE SKIP LOCKED") is long free)
                return (free, false);
            if (TryLock(connection, transaction, [candidates[0]], "FOR UPDATE") is long waited)
                return (waited, false);
        }
    }

    /// <summary>
    /// Locks the first of <paramref name="comparisonIds"/> that has a free slot, with <paramref name="lockClause"/>, in a
    /// savepoint: kept when one is locked (its id is returned), rolled back otherwise, so no lock outlives a failed try.
    /// </summary>
    private static long? TryLock(DbConnection connection, DbTransaction transaction, IReadOnlyList<long> comparisonIds, string lockClause)
    {
        transaction.Save("pick");
        foreach (var comparisonId in comparisonIds)
        {
            if (connection.ExecuteScalar<long?>($"SELECT id FROM comparisons WHERE id = @comparisonId AND remaining > 0 {lockClause}",
                    new { comparisonId }, transaction) is long locked)
            {
                transaction.Release("pick");
                return locked;
            }
        }
        transaction.Rollback("pick");
        transaction.Release("pick");
        return null;
    }

    private static (long, bool)? PickGold(DbConnection connection, DbTransaction transaction, long projectId, long annotatorId)
    {
        var id = connection.ExecuteScalar<long?>(
            """
            SELECT c.id FROM comparisons c
            WHERE c.project_id = @projectId AND c.is_gold = 1
              AND NOT EXISTS (SELECT 1 FROM assignments s
                              WHERE s.comparison_id = c.id AND s.annotator_id = @annotatorId
                                AND s.state IN ('leased', 'done', 'skipped'))
            ORDER BY c.id
            LIMIT 1
            """, new { projectId, annotatorId }, transaction);
        return id is long value ? (value, true) : null;
    }

    /// <summary>Recomputes a regular comparison's free slots: k − (live leases + done assignments).</summary>
    internal static void RefreshRemaining(DbConnection connection, DbTransaction transaction, long comparisonId) =>
        connection.Execute(
            """
            UPDATE comparisons
            SET remaining = (SELECT p.overlap_k FROM projects p WHERE p.id = comparisons.project_id)
                          - (SELECT COUNT(1) FROM assignments s WHERE s.comparison_id = comparisons.id AND s.state IN ('leased', 'done'))
            WHERE id = @comparisonId AND is_gold = 0
            """, new { comparisonId }, transaction);

    private static QueueItem LoadItem(DbConnection connection, DbTransaction transaction, long assignmentId)
    {
        var row = connection.QuerySingle<(long AssignmentId, long ComparisonId, string Prompt, string TextA, string TextB, long LeftIsA, string Expires)>(
            """
            SELECT s.id, c.id, p.text, ra.text, rb.text, s.left_is_a, s.lease_expires_at
            FROM assignments s
            JOIN comparisons c ON c.id = s.comparison_id
            JOIN prompts p ON p.id = c.prompt_id
            JOIN responses ra ON ra.id = c.response_a_id
            JOIN responses rb ON rb.id = c.response_b_id
            WHERE s.id = @assignmentId
            """, new { assignmentId }, transaction);
        var leftIsA = row.LeftIsA != 0;
        return new QueueItem(row.AssignmentId, row.ComparisonId, row.Prompt,
            leftIsA ? row.TextA : row.TextB, leftIsA ? row.TextB : row.TextA, Timestamps.Parse(row.Expires));
    }

    private static AssignmentRow LoadAssignment(DbConnection connection, DbTransaction transaction, long assignmentId, long annotatorId)
    {
        var row = connection.QuerySingleOrDefault<AssignmentRow>(
            """
            SELECT id, project_id, comparison_id, annotator_id, is_gold, left_is_a, state, lease_expires_at
            FROM assignments WHERE id = @assignmentId
            """, new { assignmentId }, transaction) ?? throw new NotFoundException("assignment", assignmentId);
        if (row.AnnotatorId != annotatorId)
            throw new NotAssignedException(assignmentId, annotatorId);
        return row;
    }

    private static long ActiveJudgmentOf(DbConnection connection, DbTransaction transaction, long assignmentId) =>
        connection.ExecuteScalar<long>(
            "SELECT id FROM judgments WHERE assignment_id = @assignmentId AND is_active = 1 ORDER BY id DESC LIMIT 1",
            new { assignmentId }, transaction);

    private bool NextCoin()
    {
        lock (_randomLock)
            return _random.Next(2) == 0;
    }

    private sealed class AssignmentRow
    {
        public long Id { get; set; }
        public long ProjectId { get; set; }
        public long ComparisonId { get; set; }
        public long AnnotatorId { get; set; }
        public long IsGold { get; set; }
        public long LeftIsA { get; set; }
        public string State { get; set; } = "";
        public string LeaseExpiresAt { get; set; } = "";
    }
}
