using Alignment.Data.Bench;
using Alignment.Data.Labeling;
using Dapper;

namespace Alignment.Data.Tests.Labeling;

public class QueuePlanAndBenchTests
{
    [Fact]
    public void Next_item_query_walks_the_partial_open_index()
    {
        using var db = new TestDb();
        var plan = db.Store.Read(c => c.Query<(long, long, long, string Detail)>("EXPLAIN QUERY PLAN " + QueueService.PickRegularSql,
            new { projectId = 1L, annotatorId = 1L, multiplier = 48271L }).Select(r => r.Detail).ToList());
        // Both the lowest-remaining probe and the shuffled pick search the partial index; only the per-annotator
        // shuffle of the rows at that count is sorted.
        Assert.Equal(2, plan.Count(d => d.Contains("ix_comparisons_open", StringComparison.Ordinal)));
        Assert.Equal(1, plan.Count(d => d.Contains("TEMP B-TREE", StringComparison.Ordinal)));
        Assert.Contains(plan, d => d.Contains("assignments", StringComparison.Ordinal) && d.Contains("INDEX", StringComparison.Ordinal));
    }

    [Fact]
    public void Bench_runs_on_a_small_store_and_reports_consistent_numbers()
    {
        var path = Path.Combine(Path.GetTempPath(), "align-data-tests", $"bench-{Guid.NewGuid():N}.db");
        try
        {
            var result = LabelingBench.Run(new LabelingBenchOptions(Judgments: 3_000, Annotators: 10, OpenComparisons: 600,
                LatencySamples: 100, ThroughputSeconds: 0.3, Threads: 2, DatabasePath: path));
            Assert.Equal(3_000, result.JudgmentsInStore);
            Assert.Equal((3_000 - 300) / 2 + 600, result.Comparisons);
            Assert.True(result.NextItemP50Ms > 0 && result.NextItemP50Ms <= result.NextItemP95Ms && result.NextItemP95Ms <= result.NextItemP99Ms);
            Assert.True(result.JudgmentsPerSecond > 0);
            Assert.Equal(2, result.Threads);

            // Every measured and seeded judgment is in the store, and no comparison got more than k.
            using var connection = Alignment.Data.Store.AlignStore.Open(path).OpenConnection();
            var active = connection.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments WHERE is_active = 1");
            Assert.True(active >= 3_000 + 100);
            Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM (SELECT comparison_id FROM judgments WHERE is_active = 1 GROUP BY comparison_id HAVING COUNT(1) > 2)"));
            Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM comparisons WHERE judged <> (SELECT COUNT(1) FROM judgments j WHERE j.comparison_id = comparisons.id AND j.is_active = 1)"));
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            foreach (var suffix in new[] { "", "-wal", "-shm" })
                File.Delete(path + suffix);
        }
    }
}
