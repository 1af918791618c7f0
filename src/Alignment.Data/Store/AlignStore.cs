using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Data.Store;

/// <summary>
/// The SQLite database behind labeling: opens connections configured for concurrent use (WAL
/// journal, foreign keys on, a busy timeout) and applies migrations when the store is opened.
/// Thread-safe: every operation opens its own pooled connection.
/// </summary>
public sealed class AlignStore
{
    /// <summary>How long a connection waits for another writer's lock before failing (milliseconds).</summary>
    public const int BusyTimeoutMs = 10_000;

    private readonly string _connectionString;
    private readonly HashSet<string> _migratedOwners = [];

    static AlignStore()
    {
        SQLitePCL.Batteries_V2.Init();
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    private AlignStore(string databasePath, TimeProvider clock)
    {
        DatabasePath = databasePath;
        Clock = clock;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = databasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            ForeignKeys = true,
            Pooling = true,
            DefaultTimeout = BusyTimeoutMs / 1000,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string DatabasePath { get; }

    /// <summary>The clock used for leases and timestamps (injectable for tests).</summary>
    public TimeProvider Clock { get; }

    /// <summary>The schema version of the labeling store's tables (<see cref="Migrator.Data"/>) in the open database.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>
    /// Opens (creating if needed) the database at <paramref name="databasePath"/>, switches it to WAL and
    /// applies pending migrations. Throws <see cref="SchemaTooNewException"/> for a file from a newer build.
    /// </summary>
    public static AlignStore Open(string databasePath, TimeProvider? clock = null)
    {
        var fullPath = Path.GetFullPath(databasePath);
        var folder = Path.GetDirectoryName(fullPath);
        if (!string.IsNullOrEmpty(folder))
            Directory.CreateDirectory(folder);

        var store = new AlignStore(fullPath, clock ?? TimeProvider.System);
        return store.Guard(() =>
        {
            using var connection = store.OpenConnection();
            connection.Execute("PRAGMA journal_mode = WAL");
            Migrator.Migrate(connection, fullPath, store.Clock.GetUtcNow(), Migrator.Data);
            store.SchemaVersion = Migrator.CurrentVersion(connection, Migrator.DataOwner);
            store._migratedOwners.Add(Migrator.DataOwner);
            return store;
        });
    }

    /// <summary>
    /// Applies <paramref name="set"/>'s pending migrations once per store object: the data layer of another owner (the
    /// workflow engine) calls this before it touches its tables. Throws <see cref="SchemaTooNewException"/> when the
    /// database holds a newer version of that owner's tables.
    /// </summary>
    public void EnsureSchema(MigrationSet set)
    {
        lock (_migratedOwners)
        {
            if (_migratedOwners.Contains(set.Owner))
                return;
            Guard(() =>
            {
                using var connection = OpenConnection();
                return Migrator.Migrate(connection, DatabasePath, Clock.GetUtcNow(), set);
            });
            _migratedOwners.Add(set.Owner);
        }
    }

    /// <summary>Runs <paramref name="work"/>, turning SQLite's file-level errors (not a database, damaged, read-only) into a <see cref="StoreFileException"/> naming the file.</summary>
    private T Guard<T>(Func<T> work)
    {
        try
        {
            return work();
        }
        catch (SqliteException e) when (StoreFileException.From(DatabasePath, e) is { } file)
        {
            throw file;
        }
    }

    /// <summary>Opens the database in the home folder (see <see cref="AlignHome"/>).</summary>
    public static AlignStore OpenHome(string? explicitHome = null, TimeProvider? clock = null) =>
        Open(AlignHome.DatabasePath(explicitHome), clock);

    /// <summary>Opens a new connection with foreign keys, the busy timeout and <c>synchronous=NORMAL</c> set.</summary>
    public SqliteConnection OpenConnection()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute($"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
        return connection;
    }

    /// <summary>Runs a read on its own connection.</summary>
    public T Read<T>(Func<SqliteConnection, T> read) => Guard(() =>
    {
        using var connection = OpenConnection();
        return read(connection);
    });

    /// <summary>
    /// Runs <paramref name="write"/> inside a <c>BEGIN IMMEDIATE</c> transaction (the write lock is taken
    /// up front, so the reads inside see a state no other writer can change before commit). Commits when
    /// it returns, rolls back when it throws.
    /// </summary>
    public T Write<T>(Func<SqliteConnection, SqliteTransaction, T> write) => Guard(() =>
    {
        using var connection = OpenConnection();
        using var transaction = connection.BeginTransaction(deferred: false);
        var result = write(connection, transaction);
        transaction.Commit();
        return result;
    });

    /// <summary>Runs <paramref name="write"/> inside a <c>BEGIN IMMEDIATE</c> transaction (see the generic overload).</summary>
    public void Write(Action<SqliteConnection, SqliteTransaction> write) =>
        Write((connection, transaction) => { write(connection, transaction); return true; });

    /// <summary>The current instant in the store's text format.</summary>
    public string NowText() => Timestamps.ToText(Clock.GetUtcNow());
}
