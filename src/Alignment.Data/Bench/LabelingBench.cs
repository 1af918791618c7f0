using System.Diagnostics;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Alignment.Data.Bench;

/// <summary>Options for <see cref="LabelingBench.Run"/>.</summary>
/// <param name="Judgments">Active judgments seeded into the store before measuring (default 1,000,000).</param>
/// <param name="Annotators">Annotators the seeded judgments are spread over (default 100).</param>
/// <param name="OverlapK">The project's overlap k (default 2).</param>
/// <param name="OpenComparisons">Comparisons still open after seeding, half of them with one judgment already (default 50,000).</param>
/// <param name="LatencySamples">Timed next-item calls, each followed by a submit (default 2,000).</param>
/// <param name="ThroughputSeconds">How long the judgments/s phase runs (default 5 s).</param>
/// <param name="Threads">Annotator threads in the throughput phase (default: processor count).</param>
/// <param name="DatabasePath">Where to build the SQLite store; default a fresh temp file, deleted afterwards.</param>
/// <param name="PostgreSql">
/// A PostgreSQL database to measure in instead of SQLite: the bench builds its store in a new schema of that database
/// (<c>align_bench_…</c>, its own tables, nothing else touched) and drops the schema afterwards.
/// </param>
public sealed record LabelingBenchOptions(
    int Judgments = 1_000_000,
    int Annotators = 100,
    int OverlapK = 2,
    int OpenComparisons = 50_000,
    int LatencySamples = 2_000,
    double ThroughputSeconds = 5,
    int Threads = 0,
    string? DatabasePath = null,
    StoreLocation? PostgreSql = null);

/// <summary>What <see cref="LabelingBench.Run"/> measured. Latencies in milliseconds, through <see cref="QueueService"/>.</summary>
/// <param name="Provider">The database measured: <c>sqlite</c> (a file) or <c>postgresql</c>.</param>
/// <param name="JudgmentsInStore">Active judgments in the store when measuring started (counted; the fill rounds
/// <see cref="LabelingBenchOptions.Judgments"/> to whole comparisons and never puts fewer than the half-open ones).</param>
/// <param name="Comparisons">Comparisons in the store.</param>
/// <param name="SeedSeconds">Time to build the store.</param>
/// <param name="NextItemP50Ms">Median next-item latency.</param>
/// <param name="NextItemP95Ms">95th-percentile next-item latency.</param>
/// <param name="NextItemP99Ms">99th-percentile next-item latency.</param>
/// <param name="SubmitP50Ms">Median submit latency.</param>
/// <param name="JudgmentsPerSecond">Sustained next-item + submit cycles per second over all threads.</param>
/// <param name="Threads">Threads in the throughput phase.</param>
public sealed record LabelingBenchResult(
    string Provider,
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
/// project with <see cref="LabelingBenchOptions.Judgments"/> judgments by bulk insert (SQLite: prepared inserts in one
/// transaction; PostgreSQL: binary <c>COPY</c>), then times next-item calls (p50/p95/p99) and sustained judgments per
/// second through <see cref="QueueService"/>.
/// </summary>
public static class LabelingBench
{
    /// <summary>Runs the benchmark; <paramref name="progress"/> receives one line per phase.</summary>
    public static LabelingBenchResult Run(LabelingBenchOptions options, Action<string>? progress = null)
    {
        if (options.PostgreSql is { } server)
            return RunPostgreSql(server, options, progress);
        var temporary = options.DatabasePath is null;
        var path = options.DatabasePath ?? Path.Combine(Path.GetTempPath(), $"align-bench-{Guid.NewGuid():N}.db");
        try
        {
            return Measure(AlignStore.Open(path), options, progress);
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

    /// <summary>
    /// Measures in a new schema of the PostgreSQL database at <paramref name="server"/> (the store's connections get it as
    /// their search path, so the migrations create the bench's own tables there), dropped with its tables afterwards.
    /// </summary>
    private static LabelingBenchResult RunPostgreSql(StoreLocation server, LabelingBenchOptions options, Action<string>? progress)
    {
        if (server.Provider != StoreProvider.PostgreSql)
            throw new ArgumentException("PostgreSql must name a PostgreSQL database.", nameof(options));
        var schema = "align_bench_" + Guid.NewGuid().ToString("N")[..12];
        Admin(server, $"CREATE SCHEMA {schema}");
        try
        {
            var location = server with
            {
                // No command timeout: the fill's COPY and VACUUM of a million rows run past Npgsql's 30 s on a loaded machine.
                Target = new NpgsqlConnectionStringBuilder(server.Target) { SearchPath = schema, CommandTimeout = 0 }.ConnectionString,
                Display = $"{server.Display} (schema {schema})",
            };
            return Measure(AlignStore.Open(location), options, progress);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            Admin(server, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
        }
    }

    /// <summary>Runs one statement on its own connection; a server that cannot be reached is a <see cref="StoreLocationException"/>.</summary>
    private static void Admin(StoreLocation server, string sql)
    {
        try
        {
            using var connection = new NpgsqlConnection(server.Target);
            connection.Open();
            connection.Execute(sql);
        }
        catch (NpgsqlException e)
        {
            throw new StoreLocationException(server.Display, $"cannot be used for the bench ({e.Message}): start the server, fix the URL, or grant the user CREATE on the database");
        }
    }

    private static LabelingBenchResult Measure(AlignStore store, LabelingBenchOptions options, Action<string>? progress)
    {
        var project = new ProjectService(store).Create(new ProjectSettings("bench", OverlapK: options.OverlapK, GoldRate: 0));
        var clock = Stopwatch.StartNew();
        var (annotators, comparisons) = Seed(store, project, options);
        var seedSeconds = clock.Elapsed.TotalSeconds;
        var judgments = store.Read(connection => connection.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments WHERE is_active = 1"));
        progress?.Invoke($"seeded {judgments:N0} judgments on {comparisons:N0} comparisons in {seedSeconds:F1} s");

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
        return new LabelingBenchResult(store.Provider == StoreProvider.PostgreSql ? "postgresql" : "sqlite", judgments, comparisons, Math.Round(seedSeconds, 2),
            Round(Statistics.Bootstrap.Quantile(next, 0.50)), Round(Statistics.Bootstrap.Quantile(next, 0.95)),
            Round(Statistics.Bootstrap.Quantile(next, 0.99)), Round(Statistics.Bootstrap.Quantile(submit, 0.50)),
            Math.Round(perSecond, 1), threads);
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

    /// <summary>
    /// The store's contents: <c>Complete</c> comparisons with k judgments, then <c>HalfOpen</c> with one, then the rest of
    /// <see cref="LabelingBenchOptions.OpenComparisons"/> with none; four comparisons per prompt.
    /// </summary>
    private sealed record Shape(int K, long Complete, long HalfOpen, long Total)
    {
        public static Shape Of(LabelingBenchOptions options)
        {
            if (options.OverlapK < 2)
                throw new ArgumentException("The bench needs overlap k ≥ 2.", nameof(options));
            var halfOpen = options.OpenComparisons / 2;
            var complete = Math.Max(0, (options.Judgments - halfOpen) / options.OverlapK);
            return new Shape(options.OverlapK, complete, halfOpen, complete + options.OpenComparisons);
        }

        public int JudgedOf(long comparison) => comparison < Complete ? K : comparison < Complete + HalfOpen ? 1 : 0;
    }

    private static (long[] Annotators, long Comparisons) Seed(AlignStore store, Project project, LabelingBenchOptions options) =>
        store.Provider == StoreProvider.PostgreSql ? SeedPostgreSql(store, project, options) : SeedSqlite(store, project, options);

    /// <summary>Bulk-inserts annotators, prompts, responses, comparisons, assignments and judgments with prepared commands in one transaction.</summary>
    private static (long[] Annotators, long Comparisons) SeedSqlite(AlignStore store, Project project, LabelingBenchOptions options)
    {
        var shape = Shape.Of(options);
        var (k, total) = (shape.K, shape.Total);
        var now = store.NowText();
        using var connection = (SqliteConnection)store.OpenConnection();
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
            var judged = shape.JudgedOf(c);
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

    /// <summary>
    /// The same rows as <see cref="SeedSqlite"/> (the same random draws, in the same order), written with binary
    /// <c>COPY … FROM STDIN</c> one table after another in one transaction, with ids given here (the bench's schema is
    /// new, so they start after the project's); then the identity sequences are moved past them and the tables
    /// vacuumed and analyzed, as autovacuum would leave a store that filled over months.
    /// </summary>
    private static (long[] Annotators, long Comparisons) SeedPostgreSql(AlignStore store, Project project, LabelingBenchOptions options)
    {
        var shape = Shape.Of(options);
        var (k, total) = (shape.K, shape.Total);
        var now = store.NowText();
        var annotators = store.Write((connection, transaction) =>
        {
            var npgsql = (NpgsqlConnection)connection;
            long Base(string table) => connection.ExecuteScalar<long>($"SELECT COALESCE(MAX(id), 0) FROM {table}", transaction: transaction);
            var (annotatorBase, promptBase, responseBase, comparisonBase, assignmentBase, judgmentBase) =
                (Base("annotators"), Base("prompts"), Base("responses"), Base("comparisons"), Base("assignments"), Base("judgments"));

            var ids = Enumerable.Range(0, options.Annotators).Select(a => annotatorBase + a + 1).ToArray();
            using (var copy = npgsql.BeginBinaryImport("COPY annotators (id, name, role, token_hash, is_active, created_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var a = 0; a < ids.Length; a++)
                    Row(copy, ids[a], $"bench-{a}", "annotator", Annotators.LoginTokens.Hash($"bench-token-{a}-{Guid.NewGuid()}"), 1L, now);
                copy.Complete();
            }
            using (var copy = npgsql.BeginBinaryImport("COPY project_members (project_id, annotator_id, added_at) FROM STDIN (FORMAT BINARY)"))
            {
                foreach (var a in ids)
                    Row(copy, project.Id, a, now);
                copy.Complete();
            }
            using (var copy = npgsql.BeginBinaryImport("COPY prompts (id, project_id, text, created_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var c = 0L; c < total; c += 4)
                    Row(copy, promptBase + c / 4 + 1, project.Id, $"bench prompt {c / 4}", now);
                copy.Complete();
            }
            using (var copy = npgsql.BeginBinaryImport("COPY responses (id, prompt_id, text, model, created_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var c = 0L; c < total; c++)
                {
                    Row(copy, responseBase + 2 * c + 1, promptBase + c / 4 + 1, $"answer a {c}", "model-a", now);
                    Row(copy, responseBase + 2 * c + 2, promptBase + c / 4 + 1, $"answer b {c}", "model-b", now);
                }
                copy.Complete();
            }
            using (var copy = npgsql.BeginBinaryImport(
                       "COPY comparisons (id, project_id, prompt_id, response_a_id, response_b_id, is_gold, remaining, judged, created_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var c = 0L; c < total; c++)
                {
                    var judged = shape.JudgedOf(c);
                    Row(copy, comparisonBase + c + 1, project.Id, promptBase + c / 4 + 1, responseBase + 2 * c + 1, responseBase + 2 * c + 2, 0L, (long)(k - judged), (long)judged, now);
                }
                copy.Complete();
            }

            // Assignments and judgments share their draws (left, outcome, strength), made in SeedSqlite's order.
            var random = new Random(7);
            var draws = new List<(long Comparison, long Annotator, long Left, string Outcome, long Strength)>((int)Math.Min(int.MaxValue, options.Judgments));
            for (var c = 0L; c < total; c++)
            {
                for (var j = 0; j < shape.JudgedOf(c); j++)
                {
                    var left = random.Next(2);
                    var outcome = random.Next(4);
                    var strength = outcome switch { 0 => -random.Next(0, 4), 1 => random.Next(0, 4), _ => 0 };
                    draws.Add((comparisonBase + c + 1, ids[(c + j) % ids.Length], left, outcome switch { 0 => "A", 1 => "B", 2 => "tie", _ => "both_bad" }, strength));
                }
            }
            using (var copy = npgsql.BeginBinaryImport(
                       "COPY assignments (id, project_id, comparison_id, annotator_id, is_gold, left_is_a, state, lease_expires_at, created_at, updated_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var n = 0; n < draws.Count; n++)
                    Row(copy, assignmentBase + n + 1, project.Id, draws[n].Comparison, draws[n].Annotator, 0L, draws[n].Left, "done", now, now, now);
                copy.Complete();
            }
            using (var copy = npgsql.BeginBinaryImport(
                       "COPY judgments (id, assignment_id, comparison_id, annotator_id, outcome, strength, time_ms, left_is_a, is_active, created_at) FROM STDIN (FORMAT BINARY)"))
            {
                for (var n = 0; n < draws.Count; n++)
                    Row(copy, judgmentBase + n + 1, assignmentBase + n + 1, draws[n].Comparison, draws[n].Annotator, draws[n].Outcome, draws[n].Strength, 1500L, draws[n].Left, 1L, now);
                copy.Complete();
            }
            StoreCopy.AdvanceIdentities(npgsql, transaction);
            return ids;
        });
        store.Read(connection => connection.Execute(
            "VACUUM (ANALYZE) annotators, project_members, prompts, responses, comparisons, assignments, judgments"));
        return (annotators, total);
    }

    /// <summary>Writes one row of a binary COPY: <see cref="long"/> values as bigint, strings as text.</summary>
    private static void Row(NpgsqlBinaryImporter copy, params object[] values)
    {
        copy.StartRow();
        foreach (var value in values)
        {
            if (value is long number)
                copy.Write(number, NpgsqlDbType.Bigint);
            else
                copy.Write((string)value, NpgsqlDbType.Text);
        }
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
