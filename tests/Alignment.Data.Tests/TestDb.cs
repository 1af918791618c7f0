using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.Tests;

/// <summary>
/// A fresh store per test: a SQLite file (deleted with its WAL files on dispose) or a database on the PostgreSQL test
/// server (<see cref="PostgresTestDatabase"/>, dropped on dispose). The folder exists for either provider (files the
/// test writes).
/// </summary>
public sealed class TestDb : IDisposable
{
    private readonly PostgresTestDatabase? _postgres;

    public TestDb(ManualClock? clock = null) : this(StoreProvider.Sqlite, clock)
    {
    }

    public TestDb(StoreProvider provider, ManualClock? clock = null)
    {
        Folder = Path.Combine(Path.GetTempPath(), "align-data-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        Clock = clock ?? new ManualClock(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));
        if (provider == StoreProvider.PostgreSql)
        {
            _postgres = new PostgresTestDatabase();
            Store = AlignStore.Open(StoreLocation.Parse(_postgres.Url), Clock);
        }
        else
            Store = AlignStore.Open(Path.Combine(Folder, "align.db"), Clock);
        Projects = new ProjectService(Store);
        Annotators = new AnnotatorService(Store);
    }

    public string Folder { get; }
    public ManualClock Clock { get; }
    public AlignStore Store { get; }
    public ProjectService Projects { get; }
    public AnnotatorService Annotators { get; }

    public string PathOf(string fileName) => Path.Combine(Folder, fileName);

    /// <summary>Creates an account and makes it a member of every project that exists now (queue tests label as members).</summary>
    public long Annotator(string name, AnnotatorRole role = AnnotatorRole.Annotator)
    {
        var id = Annotators.Create(name, role).Annotator.Id;
        var members = new ProjectMembers(Store);
        foreach (var project in Projects.List())
            members.Add(project.Id, id);
        return id;
    }

    /// <summary>Inserts a prompt with two responses and a comparison directly (for queue tests).</summary>
    public long Comparison(long projectId, string prompt, string a, string b, string? modelA = null, string? modelB = null,
        Outcome? gold = null, int goldStrength = 0) =>
        Store.Write((connection, transaction) =>
        {
            var now = Store.NowText();
            var promptId = connection.ExecuteScalar<long>(
                "INSERT INTO prompts (project_id, text, created_at) VALUES (@projectId, @prompt, @now) ON CONFLICT (project_id, text) DO UPDATE SET text = excluded.text RETURNING id",
                new { projectId, prompt, now }, transaction);
            var ra = connection.ExecuteScalar<long>("INSERT INTO responses (prompt_id, text, model, created_at) VALUES (@promptId, @a, @modelA, @now) RETURNING id",
                new { promptId, a, modelA, now }, transaction);
            var rb = connection.ExecuteScalar<long>("INSERT INTO responses (prompt_id, text, model, created_at) VALUES (@promptId, @b, @modelB, @now) RETURNING id",
                new { promptId, b, modelB, now }, transaction);
            var k = connection.ExecuteScalar<long>("SELECT overlap_k FROM projects WHERE id = @projectId", new { projectId }, transaction);
            return connection.ExecuteScalar<long>(
                """
                INSERT INTO comparisons (project_id, prompt_id, response_a_id, response_b_id, is_gold, gold_outcome, gold_strength, remaining, created_at)
                VALUES (@projectId, @promptId, @ra, @rb, @isGold, @goldOutcome, @goldStrength, @k, @now) RETURNING id
                """,
                new { projectId, promptId, ra, rb, isGold = gold is not null ? 1L : 0L, goldOutcome = gold?.ToCode(), goldStrength = gold is null ? (int?)null : goldStrength, k, now },
                transaction);
        });

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        _postgres?.Dispose();
        try { Directory.Delete(Folder, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}

/// <summary>A clock the test moves by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    private long _ticks = start.UtcTicks;

    public override DateTimeOffset GetUtcNow() => new(Interlocked.Read(ref _ticks), TimeSpan.Zero);

    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
