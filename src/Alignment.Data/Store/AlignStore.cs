using System.Data.Common;
using Dapper;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Alignment.Data.Store;

/// <summary>
/// The database behind labeling and the workflow engine: one SQLite file (the default, <c>&lt;home&gt;/align.db</c>) or a
/// PostgreSQL database shared by several machines (<see cref="StoreLocation"/>). Opens connections configured for
/// concurrent use (SQLite: WAL journal, foreign keys on, a busy timeout; PostgreSQL: Npgsql's pool) and applies
/// migrations when the store is opened. Thread-safe: every operation opens its own pooled connection.
/// </summary>
public sealed class AlignStore
{
    /// <summary>How long a connection waits for another writer's lock before failing (milliseconds).</summary>
    public const int BusyTimeoutMs = 10_000;

    /// <summary>
    /// The transaction-level advisory lock every <see cref="Write{T}"/> takes exclusively on PostgreSQL, so writers are
    /// serialized as SQLite's <c>BEGIN IMMEDIATE</c> serializes them: reads inside a write see a state no other writer
    /// changes before commit. <see cref="WriteRows{T}"/> takes it shared. (Any constant distinct from the migrator's key;
    /// "alignw" in ASCII.)
    /// </summary>
    private const long WriteLockKey = 0x616c69676e77;

    /// <summary>
    /// The first key of the two-key advisory lock that serializes one annotator's <see cref="WriteRows{T}"/> on
    /// PostgreSQL (the second is the annotator id); two-key locks never collide with the one-key <see cref="WriteLockKey"/>.
    /// ("alnq" in ASCII.)
    /// </summary>
    private const int AnnotatorLockKey = 0x616c6e71;

    private readonly string _connectionString;
    private readonly NpgsqlDataSource? _postgreSql;
    private readonly HashSet<string> _migratedOwners = [];

    static AlignStore()
    {
        SQLitePCL.Batteries_V2.Init();
        DefaultTypeMap.MatchNamesWithUnderscores = true;
    }

    private AlignStore(StoreLocation location, TimeProvider clock)
    {
        Location = location;
        Clock = clock;
        if (location.Provider == StoreProvider.PostgreSql)
        {
            _connectionString = location.Target;
            _postgreSql = NpgsqlDataSource.Create(location.Target);
        }
        else
        {
            _connectionString = new SqliteConnectionStringBuilder
            {
                DataSource = location.Target,
                Mode = SqliteOpenMode.ReadWriteCreate,
                ForeignKeys = true,
                Pooling = true,
                DefaultTimeout = BusyTimeoutMs / 1000,
            }.ToString();
        }
    }

    /// <summary>Where the store lives.</summary>
    public StoreLocation Location { get; }

    /// <summary>The database engine behind the store.</summary>
    public StoreProvider Provider => Location.Provider;

    /// <summary>The SQLite file's full path, or the PostgreSQL location without its password (for messages).</summary>
    public string DatabasePath => Provider == StoreProvider.Sqlite ? Location.Target : Location.Display;

    /// <summary>The clock used for leases and timestamps (injectable for tests).</summary>
    public TimeProvider Clock { get; }

    /// <summary>The schema version of the labeling store's tables (<see cref="Migrator.Data"/>) in the open database.</summary>
    public int SchemaVersion { get; private set; }

    /// <summary>
    /// Opens (creating if needed) the SQLite database at <paramref name="databasePath"/>, switches it to WAL and
    /// applies pending migrations. Throws <see cref="SchemaTooNewException"/> for a file from a newer build.
    /// </summary>
    public static AlignStore Open(string databasePath, TimeProvider? clock = null)
    {
        var fullPath = Path.GetFullPath(databasePath);
        return Open(new StoreLocation(StoreProvider.Sqlite, fullPath, "sqlite:" + fullPath), clock);
    }

    /// <summary>
    /// Opens the store at <paramref name="location"/> and applies pending migrations of the labeling tables (a SQLite
    /// file is created with its folder when missing). Throws <see cref="SchemaTooNewException"/> for a database from a
    /// newer build.
    /// </summary>
    public static AlignStore Open(StoreLocation location, TimeProvider? clock = null)
    {
        if (location.Provider == StoreProvider.Sqlite)
        {
            var folder = Path.GetDirectoryName(location.Target);
            if (!string.IsNullOrEmpty(folder))
                Directory.CreateDirectory(folder);
        }

        var store = new AlignStore(location, clock ?? TimeProvider.System);
        return store.Guard(() =>
        {
            using var connection = store.OpenConnection();
            if (connection is SqliteConnection sqlite)
            {
                sqlite.Execute("PRAGMA journal_mode = WAL");
                Migrator.Migrate(sqlite, store.DatabasePath, store.Clock.GetUtcNow(), Migrator.Data);
                store.SchemaVersion = Migrator.CurrentVersion(sqlite, Migrator.DataOwner);
            }
            else
            {
                var npgsql = (NpgsqlConnection)connection;
                PostgreSqlMigrator.Migrate(npgsql, store.DatabasePath, store.Clock.GetUtcNow(), Migrator.Data);
                store.SchemaVersion = PostgreSqlMigrator.CurrentVersion(npgsql, Migrator.DataOwner);
            }
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
                return connection is SqliteConnection sqlite
                    ? Migrator.Migrate(sqlite, DatabasePath, Clock.GetUtcNow(), set)
                    : PostgreSqlMigrator.Migrate((NpgsqlConnection)connection, DatabasePath, Clock.GetUtcNow(), set);
            });
            _migratedOwners.Add(set.Owner);
        }
    }

    /// <summary>
    /// Runs <paramref name="work"/>, turning SQLite's file-level errors (not a database, damaged, read-only) into a
    /// <see cref="StoreFileException"/> naming the file, and a PostgreSQL server that cannot be reached or refuses the
    /// login or database into a <see cref="StoreLocationException"/> naming the location and what to do.
    /// </summary>
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
        catch (NpgsqlException e) when (Unreachable(e) is { } problem)
        {
            throw new StoreLocationException(Location.Display, problem);
        }
    }

    /// <summary>
    /// What keeps the PostgreSQL store from being used, or null for any other database error: no connection (server down,
    /// wrong host or port), a refused login (SQLSTATE class 28), a database that does not exist (3D000).
    /// </summary>
    private static string? Unreachable(NpgsqlException e) => e switch
    {
        PostgresException { SqlState: "3D000" } p =>
            $"names a database that does not exist ({p.MessageText}): create it (createdb) or fix the URL's database name",
        PostgresException { SqlState: var state } p when state.StartsWith("28", StringComparison.Ordinal) =>
            $"refused the login ({p.MessageText}): fix the URL's user or password, or the server's pg_hba.conf",
        PostgresException { SqlState: var state } p when state.StartsWith("08", StringComparison.Ordinal) || state.StartsWith("57P", StringComparison.Ordinal) =>
            $"dropped the connection ({p.MessageText}): check that the server is running, then retry",
        PostgresException => null,
        _ => $"cannot be reached ({e.Message}): start the PostgreSQL server or fix the URL's host and port",
    };

    /// <summary>
    /// Opens the home's store (see <see cref="AlignHome.StoreLocation"/>): <paramref name="explicitStore"/>, else
    /// <c>ALIGN_STORE</c>, else the SQLite file in the home folder.
    /// </summary>
    public static AlignStore OpenHome(string? explicitHome = null, TimeProvider? clock = null, string? explicitStore = null) =>
        Open(AlignHome.StoreLocation(explicitHome, explicitStore), clock);

    /// <summary>
    /// Opens a new connection: on SQLite with foreign keys, the busy timeout and <c>synchronous=NORMAL</c> set; on
    /// PostgreSQL from the store's pool.
    /// </summary>
    public DbConnection OpenConnection()
    {
        if (_postgreSql is not null)
            return _postgreSql.OpenConnection();
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        connection.Execute($"PRAGMA busy_timeout = {BusyTimeoutMs}; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;");
        return connection;
    }

    /// <summary>Runs a read on its own connection.</summary>
    public T Read<T>(Func<DbConnection, T> read) => Guard(() =>
    {
        using var connection = OpenConnection();
        return read(connection);
    });

    /// <summary>
    /// Runs <paramref name="write"/> inside a transaction that holds the store's write lock from its start (SQLite:
    /// <c>BEGIN IMMEDIATE</c>; PostgreSQL: a transaction-level advisory lock), so the reads inside see a state no other
    /// writer can change before commit. Commits when it returns, rolls back when it throws.
    /// </summary>
    public T Write<T>(Func<DbConnection, DbTransaction, T> write) => Guard(() =>
    {
        using var connection = OpenConnection();
        using var transaction = connection is SqliteConnection sqlite ? sqlite.BeginTransaction(deferred: false) : connection.BeginTransaction();
        if (_postgreSql is not null)
            connection.Execute("SELECT pg_advisory_xact_lock(@WriteLockKey)", new { WriteLockKey }, transaction);
        var result = write(connection, transaction);
        transaction.Commit();
        return result;
    });

    /// <summary>
    /// Runs <paramref name="write"/> inside a transaction for writes that lock the rows they change themselves (the
    /// labeling queue: <c>SELECT … FOR UPDATE [SKIP LOCKED]</c> on each comparison before its assignments change). On
    /// SQLite it is <see cref="Write{T}"/> (<c>BEGIN IMMEDIATE</c>, nothing runs beside it). On PostgreSQL it takes the
    /// store's write lock shared, so such writes run side by side but never beside a <see cref="Write{T}"/> (which
    /// changes projects, members or many comparisons at once without row locks), and, with
    /// <paramref name="annotatorId"/>, that annotator's advisory lock, so one annotator's requests (an idempotent
    /// retry, an undo) run one at a time and see each other's result. Commits when it returns, rolls back when it throws.
    /// </summary>
    public T WriteRows<T>(long? annotatorId, Func<DbConnection, DbTransaction, T> write)
    {
        if (_postgreSql is null)
            return Write(write);
        return Guard(() =>
        {
            using var connection = OpenConnection();
            using var transaction = connection.BeginTransaction();
            connection.Execute("SELECT pg_advisory_xact_lock_shared(@WriteLockKey)", new { WriteLockKey }, transaction);
            if (annotatorId is long id)
            {
                // Ids past 2^31 fold onto the int key: a collision only serializes two annotators, it never lets one in twice.
                var annotatorKey = unchecked((int)(id ^ (id >> 32)));
                connection.Execute("SELECT pg_advisory_xact_lock(@AnnotatorLockKey, @annotatorKey)", new { AnnotatorLockKey, annotatorKey }, transaction);
            }
            var result = write(connection, transaction);
            transaction.Commit();
            return result;
        });
    }

    /// <summary>Runs <paramref name="write"/> inside the store's write transaction (see the generic overload).</summary>
    public void Write(Action<DbConnection, DbTransaction> write) =>
        Write((connection, transaction) => { write(connection, transaction); return true; });

    /// <summary>The current instant in the store's text format.</summary>
    public string NowText() => Timestamps.ToText(Clock.GetUtcNow());
}
