using Alignment.Data.Store;
using System.Collections.Concurrent;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Dapper;

namespace Alignment.Data.Tests.Labeling;

public class ConcurrencyTests
{
    [Theory, InlineData(StoreProvider.Sqlite), PostgresData]
    public void Twenty_annotators_on_threads_with_overlap_two_fill_500_comparisons_exactly(StoreProvider provider)
    {
        using var db = new TestDb(provider);
        var project = db.Projects.Create(new ProjectSettings("concurrent", OverlapK: 2, GoldRate: 0));
        db.Store.Write((connection, transaction) =>
        {
            for (var i = 0; i < 500; i++)
            {
                var now = db.Store.NowText();
                var promptId = connection.ExecuteScalar<long>("INSERT INTO prompts (project_id, text, created_at) VALUES (@Id, @text, @now) RETURNING id",
                    new { project.Id, text = $"p{i}", now }, transaction);
                var a = connection.ExecuteScalar<long>("INSERT INTO responses (prompt_id, text, created_at) VALUES (@promptId, 'a', @now) RETURNING id", new { promptId, now }, transaction);
                var b = connection.ExecuteScalar<long>("INSERT INTO responses (prompt_id, text, created_at) VALUES (@promptId, 'b', @now) RETURNING id", new { promptId, now }, transaction);
                connection.Execute("INSERT INTO comparisons (project_id, prompt_id, response_a_id, response_b_id, remaining, created_at) VALUES (@Id, @promptId, @a, @b, 2, @now)",
                    new { project.Id, promptId, a, b, now }, transaction);
            }
        });
        var queue = new QueueService(db.Store);
        var annotators = Enumerable.Range(0, 20).Select(i => db.Annotator($"annotator-{i}")).ToArray();
        var submitted = new ConcurrentBag<(long Comparison, long Annotator, long Judgment)>();
        var errors = new ConcurrentBag<Exception>();

        var threads = annotators.Select((annotator, index) => new Thread(() =>
        {
            try
            {
                var random = new Random(index);
                while (queue.NextItem(project.Id, annotator) is { } item)
                {
                    if (random.Next(10) == 0)
                    {
                        // Some double-clicks: the same key twice must store one judgment.
                        var key = Guid.NewGuid().ToString();
                        var first = queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Left, -1), key);
                        var second = queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Left, -1), key);
                        Assert.Equal(first.JudgmentId, second.JudgmentId);
                        submitted.Add((item.ComparisonId, annotator, first.JudgmentId));
                    }
                    else
                    {
                        var result = queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Right, random.Next(0, 4)));
                        submitted.Add((item.ComparisonId, annotator, result.JudgmentId));
                    }
                }
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(errors);
        Assert.Equal(1000, submitted.Count);
        Assert.Equal(1000, submitted.Select(s => s.Judgment).Distinct().Count());
        var rows = db.Store.Read(c => c.Query<(long ComparisonId, long AnnotatorId)>(
            "SELECT comparison_id, annotator_id FROM judgments WHERE is_active = 1").ToList());
        Assert.Equal(1000, rows.Count);
        var perComparison = rows.GroupBy(r => r.ComparisonId).ToList();
        Assert.Equal(500, perComparison.Count);
        Assert.All(perComparison, g =>
        {
            Assert.Equal(2, g.Count());
            Assert.Equal(2, g.Select(r => r.AnnotatorId).Distinct().Count());
        });
        Assert.Equal(submitted.Select(s => (s.Comparison, s.Annotator)).Order(), rows.Select(r => (r.ComparisonId, r.AnnotatorId)).Order());
        Assert.Equal(0L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments WHERE is_active = 0")));
        var progress = queue.Progress(project.Id, annotators[0]);
        Assert.Equal((500L, 1000L), (progress.CompletedComparisons, progress.ActiveJudgments));
    }

    // PostgreSQL's queue takes the first comparison nobody holds (FOR UPDATE SKIP LOCKED) instead of waiting behind the
    // store-wide lock: with the annotator's first two comparisons locked by another transaction, it serves the third
    // at once (a queue without row locks picks the first and waits for its lock until the holder ends).
    [PostgresFact]
    public void On_postgresql_the_queue_passes_over_comparisons_another_transaction_holds()
    {
        using var db = new TestDb(StoreProvider.PostgreSql);
        var project = db.Projects.Create(new ProjectSettings("held", OverlapK: 2, GoldRate: 0));
        var ids = Enumerable.Range(0, 3).Select(i => db.Comparison(project.Id, $"p{i}", "a", "b")).ToList();
        var sam = db.Annotator("sam");
        var order = InQueueOrder(ids, sam, project.Id);
        var queue = new QueueService(db.Store);

        using var holder = db.Store.OpenConnection();
        using var held = holder.BeginTransaction();
        foreach (var id in order[..2])
            holder.Execute("SELECT id FROM comparisons WHERE id = @id FOR UPDATE", new { id }, held);
        var next = Task.Run(() => queue.NextItem(project.Id, sam));
        try
        {
            Assert.True(next.Wait(TimeSpan.FromSeconds(30)), "the queue waited for a comparison another transaction holds");
            Assert.Equal(order[2], next.Result!.ComparisonId);
        }
        finally
        {
            held.Rollback();
            next.Wait();
        }
    }

    // When every closest comparison is held, the queue waits for the first and reads its free slots again under the
    // lock: here the holder takes its last slot, so the annotator gets another one, and the comparison ends with k
    // (a read without the row lock would lease it a third time: remaining −1).
    [PostgresFact]
    public void On_postgresql_a_last_slot_taken_while_the_queue_waits_for_it_is_not_given_out_again()
    {
        using var db = new TestDb(StoreProvider.PostgreSql);
        var project = db.Projects.Create(new ProjectSettings("last-slot", OverlapK: 2, GoldRate: 0));
        foreach (var i in Enumerable.Range(0, 3))
            db.Comparison(project.Id, $"p{i}", "a", "b");
        var (first, other, sam) = (db.Annotator("first"), db.Annotator("other"), db.Annotator("sam"));
        var queue = new QueueService(db.Store);
        var judged = queue.NextItem(project.Id, first)!;
        queue.Submit(judged.AssignmentId, first, new JudgmentInput(ShownChoice.Left, -1));
        // Now judged.ComparisonId is the only one with one slot left: the closest to completion for everyone else.

        using var holder = db.Store.OpenConnection();
        using var held = holder.BeginTransaction();
        holder.Execute("SELECT id FROM comparisons WHERE id = @ComparisonId FOR UPDATE", new { judged.ComparisonId }, held);
        var next = Task.Run(() => queue.NextItem(project.Id, sam));
        using (var watcher = db.Store.OpenConnection())
        {
            var waiting = Task.Run(async () =>
            {
                while (watcher.ExecuteScalar<long>("SELECT COUNT(1) FROM pg_locks WHERE NOT granted") == 0 && !next.IsCompleted)
                    await Task.Delay(20);
            });
            Assert.True(waiting.Wait(TimeSpan.FromSeconds(60)), "the queue never waited for the held comparison");
        }
        Assert.False(next.IsCompleted, "the queue answered without waiting for the held comparison");
        var now = db.Store.NowText();
        holder.Execute(
            """
            INSERT INTO assignments (project_id, comparison_id, annotator_id, is_gold, left_is_a, state, lease_expires_at, created_at, updated_at)
            VALUES (@Id, @ComparisonId, @other, 0, 1, 'leased', '9999-12-31T00:00:00.000Z', @now, @now)
            """, new { project.Id, judged.ComparisonId, other, now }, held);
        holder.Execute("UPDATE comparisons SET remaining = 0 WHERE id = @ComparisonId", new { judged.ComparisonId }, held);
        held.Commit();

        var item = next.Result;
        Assert.NotNull(item);
        Assert.NotEqual(judged.ComparisonId, item.ComparisonId);
        Assert.Equal(0L, db.Store.Read(c => c.ExecuteScalar<long>(
            "SELECT remaining FROM comparisons WHERE id = @ComparisonId", new { judged.ComparisonId })));
        Assert.Equal(0L, db.Store.Read(c => c.ExecuteScalar<long>(
            "SELECT COUNT(1) FROM assignments WHERE comparison_id = @ComparisonId AND annotator_id = @sam", new { judged.ComparisonId, sam })));
    }

    /// <summary>The order the queue serves equally close comparisons to an annotator: by id · m mod (2³¹ − 1).</summary>
    private static List<long> InQueueOrder(IEnumerable<long> ids, long annotatorId, long projectId)
    {
        var m = QueueService.ShuffleMultiplier(annotatorId, projectId);
        return ids.OrderBy(id => id * m % 2147483647).ThenBy(id => id).ToList();
    }
}
