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
}
