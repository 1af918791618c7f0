using System.Diagnostics;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Microsoft.Data.Sqlite;

namespace Alignment.Data.Bench;

/// <summary>Options for <see cref="LabelingBench.Run"/>.</summary>
/// <param name="Judgments">Active judgments seeded into the store before measuring (default 1,000,000).</param>
/// <param name="Annotators">Annotators the seeded judgments are spread over (default 100).</param>
/// <param name="OverlapK">The project's overlap k (default 2).</param>
/// <param name="OpenComparisons">Comparisons still open after seeding, half of them with one judgment already (default 50,000).</param>
/// <param name="LatencySamples">Timed next-item calls, each followed by a submit (default 2,000).</param>
/// <param name="ThroughputSeconds">How long the judgments/s phase runs (default 5 s).</param>
/// <param name="Threads">Annotator threads in the throughput phase (default: processor count).</param>
/// <param name="DatabasePath">Where to build the store; default a fresh temp file, deleted afterwards.</param>
public sealed record LabelingBenchOptions(
    int Judgments = 1_000_000,
    int Annotators = 100,
    int OverlapK = 2,
    int OpenComparisons = 50_000,
    int LatencySamples = 2_000,
    double ThroughputSeconds = 5,
    int Threads = 0,
    string? DatabasePath = null);

/// <summary>What <see cref="LabelingBench.Run"/> measured. Latencies in milliseconds, through <see cref="QueueService"/> on a file store.</summary>
/// <param name="JudgmentsInStore">Active judgments in the store when measuring started.</param>
/// <param name="Comparisons">Comparisons in the store.</param>
/// <param name="SeedSeconds">Time to build the store.</param>
/// <param name="NextItemP50Ms">Median next-item latency.</param>
/// <param name="NextItemP95Ms">95th-percentile next-item latency.</param>
/// <param name="NextItemP99Ms">99th-percentile next-item latency.</param>
/// <param name="SubmitP50Ms">Median submit latency.</param>
/// <param name="JudgmentsPerSecond">Sustained next-item + submit cycles per second over all threads.</param>
/// <param name="Threads">Threads in the throughput phase.</param>
public sealed record LabelingBenchResult(
    long JudgmentsInStore,
    long Comparisons,
    double SeedSeconds,
    double NextItemP50Ms,
    double NextItemP95Ms,
    double NextItemP99Ms,
    double SubmitP50Ms,
    double JudgmentsPerSecond,
    int Threads);

/// <summary>
/// Measures the labeling queue on a realistically full store (for <c>align bench labeling --json</c>): builds a
/// project with <see cref="LabelingBenchOptions.Judgments"/> judgments by bulk insert, then times next-item
/// calls (p50/p95/p99) and sustained judgments per second through <see cref="QueueService"/>.
/// </summary>
public static class LabelingBench
{
    /// <summary>Runs the benchmark; <paramref name="progress"/> receives one line per phase.</summary>
    public static LabelingBenchResult Run(LabelingBenchOptions options, Action<string>? progress = null)
    {
        var temporary = options.DatabasePath is null;
        var path = options.DatabasePath ?? Path.Combine(Path.GetTempPath(), $"align-bench-{Guid.NewGuid():N}.db");
        try
        {
            var store = AlignStore.Open(path);
            var project = new ProjectService(store).Create(new ProjectSettings("bench", OverlapK: options.OverlapK, GoldRate: 0));
            var clock = Stopwatch.StartNew();
            var (annotators, comparisons) = Seed(store, project, options);
            var seedSeconds = clock.Elapsed.TotalSeconds;
            progress?.Invoke($"seeded {options.Judgments:N0} judgments on {comparisons:N0} comparisons in {seedSeconds:F1} s");

            var queue = new QueueService(store, new Random(1));
            var next = new List<double>(options.LatencySamples);
            var submit = new List<double>(options.LatencySamples);
            for (var i = 0; i < options.LatencySamples; i++)
            {
                var annotator = annotators[i % annotators.Length];
                var start = Stopwatch.GetTimestamp();
                var item = queue.NextItem(project.Id, annotator) ?? throw new InvalidOperationException("The bench ran out of open comparisons; raise OpenComparisons.");
                next.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                start = Stopwatch.GetTimestamp();
                queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Left, -1, TimeMs: 1000));
                submit.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            progress?.Invoke($"timed {options.LatencySamples:N0} next-item calls");

            var threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
            var perSecond = Throughput(queue, project.Id, annotators, threads, options.ThroughputSeconds);
            progress?.Invoke($"throughput: {perSecond:F0} judgments/s on {threads} threads");

            next.Sort();
            submit.Sort();
            return new LabelingBenchResult(options.Judgments, comparisons, Math.Round(seedSeconds, 2),
                Round(Statistics.Bootstrap.Quantile(next, 0.50)), Round(Statistics.Bootstrap.Quantile(next, 0.95)),
                Round(Statistics.Bootstrap.Quantile(next, 0.99)), Round(Statistics.Bootstrap.Quantile(submit, 0.50)),
                Math.Round(perSecond, 1), threads);
        }
        finally
        {
            if (temporary)
            {
                SqliteConnection.ClearAllPools();
                foreach (var suffix in new[] { "", "-wal", "-shm" })
                    File.Delete(path + suffix);
            }
        }
    }

    private static double Round(double ms) => Math.Round(ms, 3);

    private static double Throughput(QueueService queue, long projectId, long[] annotators, int threads, double seconds)
    {
        var count = 0L;
        var deadline = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            var i = t;
            while (Stopwatch.GetTimestamp() < deadline)
            {
                var annotator = annotators[i % annotators.Length];
                i += threads;
                var item = queue.NextItem(projectId, annotator);
                if (item is null) break;
                queue.Submit(item.AssignmentId, annotator, new JudgmentInput(ShownChoice.Right, 2, TimeMs: 800));
                Interlocked.Increment(ref count);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        return count / clock.Elapsed.TotalSeconds;
    }

    /// <summary>Bulk-inserts annotators, prompts, responses, comparisons, assignments and judgments with prepared commands in one transaction.</summary>
    private static (long[] Annotators, long Comparisons) Seed(AlignStore store, Project project, LabelingBenchOptions options)
    {
        var k = options.OverlapK;
        if (k < 2)
            throw new ArgumentException("The bench needs overlap k ≥ 2.", nameof(options));
        var halfOpen = options.OpenComparisons / 2;
        var complete = Math.Max(0, (options.Judgments - halfOpen) / k);
        var total = complete + options.OpenComparisons;
        var now = store.NowText();
        // The bulk fill uses SQLite's prepared commands ($name parameters); the bench runs on SQLite stores only.
        using var connection = store.OpenConnection() as SqliteConnection
            ?? throw new NotSupportedException("The labeling bench fills SQLite stores only.");
        using var transaction = connection.BeginTransaction(deferred: false);

        var annotators = new long[options.Annotators];
        using (var insert = Command(connection, transaction,
                   "INSERT INTO annotators (name, role, token_hash, is_active, created_at) VALUES ($name, 'annotator', $hash, 1, $now) RETURNING id", "$name", "$hash", "$now"))
        {
            for (var a = 0; a < annotators.Length; a++)
                annotators[a] = Scalar(insert, $"bench-{a}", Annotators.LoginTokens.Hash($"bench-token-{a}-{Guid.NewGuid()}"), now);
        }
        using (var member = Command(connection, transaction,
                   "INSERT INTO project_members (project_id, annotator_id, added_at) VALUES ($p, $a, $now)", "$p", "$a", "$now"))
        {
            foreach (var a in annotators)
                Execute(member, project.Id, a, now);
        }

        using var prompt = Command(connection, transaction, "INSERT INTO prompts (project_id, text, created_at) VALUES ($p, $text, $now) RETURNING id", "$p", "$text", "$now");
        using var response = Command(connection, transaction, "INSERT INTO responses (prompt_id, text, model, created_at) VALUES ($prompt, $text, $model, $now) RETURNING id", "$prompt", "$text", "$model", "$now");
        using var comparison = Command(connection, transaction,
            "INSERT INTO comparisons (project_id, prompt_id, response_a_id, response_b_id, is_gold, remaining, judged, created_at) VALUES ($p, $prompt, $a, $b, 0, $remaining, $judged, $now) RETURNING id",
            "$p", "$prompt", "$a", "$b", "$remaining", "$judged", "$now");
        using var assignment = Command(connection, transaction,
            "INSERT INTO assignments (project_id, comparison_id, annotator_id, is_gold, left_is_a, state, lease_expires_at, created_at, updated_at) VALUES ($p, $c, $a, 0, $left, 'done', $now, $now, $now) RETURNING id",
            "$p", "$c", "$a", "$left", "$now");
        using var judgment = Command(connection, transaction,
            "INSERT INTO judgments (assignment_id, comparison_id, annotator_id, outcome, strength, time_ms, left_is_a, is_active, created_at) VALUES ($s, $c, $a, $outcome, $strength, 1500, $left, 1, $now)",
            "$s", "$c", "$a", "$outcome", "$strength", "$left", "$now");

        var random = new Random(7);
        long promptId = 0;
        for (var c = 0; c < total; c++)
        {
            if (c % 4 == 0)
                promptId = Scalar(prompt, project.Id, $"bench prompt {c / 4}", now);
            var a = Scalar(response, promptId, $"answer a {c}", "model-a", now);
            var b = Scalar(response, promptId, $"answer b {c}", "model-b", now);
            var judged = c < complete ? k : c < complete + halfOpen ? 1 : 0;
            var comparisonId = Scalar(comparison, project.Id, promptId, a, b, k - judged, judged, now);
            for (var j = 0; j < judged; j++)
            {
                var annotator = annotators[(c + j) % annotators.Length];
                var left = random.Next(2);
                var assignmentId = Scalar(assignment, project.Id, comparisonId, annotator, left, now);
                var outcome = random.Next(4);
                var strength = outcome switch { 0 => -random.Next(0, 4), 1 => random.Next(0, 4), _ => 0 };
                Execute(judgment, assignmentId, comparisonId, annotator, outcome switch { 0 => "A", 1 => "B", 2 => "tie", _ => "both_bad" }, strength, left, now);
            }
        }
        transaction.Commit();
        using var checkpoint = connection.CreateCommand();
        checkpoint.CommandText = "PRAGMA wal_checkpoint(TRUNCATE)";
        checkpoint.ExecuteNonQuery();
        return (annotators, total);
    }

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, params string[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        foreach (var name in parameters)
            command.Parameters.Add(new SqliteParameter { ParameterName = name });
        command.Prepare();
        return command;
    }

    private static long Scalar(SqliteCommand command, params object[] values)
    {
        Bind(command, values);
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteCommand command, params object[] values)
    {
        Bind(command, values);
        command.ExecuteNonQuery();
    }

    private static void Bind(SqliteCommand command, object[] values)
    {
        for (var i = 0; i < values.Length; i++)
            command.Parameters[i].Value = values[i];
    }
}
