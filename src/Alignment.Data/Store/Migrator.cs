using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Data.Store;

/// <summary>One numbered SQL migration of an owner (<c>Migrations/NNNN_name.sql</c> of the owning project).</summary>
/// <param name="Version">The owner's schema version this migration brings the database to.</param>
/// <param name="Name">The file name without the version prefix and extension.</param>
/// <param name="Sql">The SQL script.</param>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// The versioned migrations of one owner: the project that reads and writes those tables (<see cref="Migrator.DataOwner"/>
/// for the labeling store here, the workflow engine for its tables). Each owner numbers its own migrations 1, 2, 3, ...
/// and writes each one in both dialects: SQLite (<c>Migrations/NNNN_name.sql</c>) and PostgreSQL
/// (<c>Migrations/postgresql/NNNN_name.sql</c>, the same version, name, tables and columns).
/// </summary>
/// <param name="Owner">The owner's name as recorded in <c>schema_migrations.owner</c>.</param>
/// <param name="Migrations">The SQLite migrations in version order.</param>
/// <param name="PostgreSql">The PostgreSQL migrations in version order (null: none).</param>
public sealed partial record MigrationSet(string Owner, IReadOnlyList<Migration> Migrations, IReadOnlyList<Migration>? PostgreSql = null)
{
    /// <summary>The logical-name segment of the PostgreSQL dialect's resources.</summary>
    private const string PostgreSqlFolder = "postgresql.";

    /// <summary>The newest version of this owner's schema that this build knows (0 when it has none).</summary>
    public int LatestVersion => Migrations.Count == 0 ? 0 : Migrations[^1].Version;

    /// <summary>The PostgreSQL dialect of <see cref="Migrations"/> (empty when the owner has none).</summary>
    public IReadOnlyList<Migration> PostgreSqlMigrations => PostgreSql ?? [];

    /// <summary>
    /// The migrations embedded in <paramref name="assembly"/> under the logical names <c><paramref name="resourcePrefix"/>NNNN_name.sql</c>
    /// and <c><paramref name="resourcePrefix"/>postgresql.NNNN_name.sql</c>, checked to be numbered 1, 2, 3, ... without gaps and
    /// (when the PostgreSQL dialect is there) to have the same versions and names in both dialects.
    /// </summary>
    public static MigrationSet Embedded(string owner, Assembly assembly, string resourcePrefix)
    {
        var sqlite = Load(owner, assembly, resourcePrefix);
        var postgreSql = Load(owner, assembly, resourcePrefix + PostgreSqlFolder);
        if (postgreSql.Count > 0 && !postgreSql.Select(m => (m.Version, m.Name)).SequenceEqual(sqlite.Select(m => (m.Version, m.Name))))
            throw new InvalidOperationException(
                $"The {owner} migrations differ between SQLite ({string.Join(", ", sqlite.Select(m => $"{m.Version:D4}_{m.Name}"))}) " +
                $"and PostgreSQL ({string.Join(", ", postgreSql.Select(m => $"{m.Version:D4}_{m.Name}"))}).");
        return new MigrationSet(owner, sqlite, postgreSql);
    }

    private static List<Migration> Load(string owner, Assembly assembly, string resourcePrefix)
    {
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(resourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            var fileName = resource[resourcePrefix.Length..^".sql".Length];
            if (fileName.StartsWith(PostgreSqlFolder, StringComparison.Ordinal))
                continue;
            var match = FileNamePattern().Match(fileName);
            if (!match.Success)
                throw new InvalidOperationException($"Migration resource '{resource}' is not named NNNN_name.sql.");
            migrations.Add(new Migration(int.Parse(match.Groups[1].Value), match.Groups[2].Value, ReadResource(assembly, resource)));
        }
        migrations.Sort((a, b) => a.Version.CompareTo(b.Version));
        for (var i = 0; i < migrations.Count; i++)
        {
            if (migrations[i].Version != i + 1)
                throw new InvalidOperationException(
                    $"The {owner} migrations must be numbered 1, 2, 3, ... without gaps; found version {migrations[i].Version} at position {i + 1}.");
        }
        return migrations;
    }

    private static string ReadResource(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Missing embedded resource '{name}'.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    [GeneratedRegex(@"^(\d+)_(.+)$")]
    private static partial Regex FileNamePattern();
}

/// <summary>
/// Applies each owner's migrations in order. The <c>schema_migrations</c> table records every applied (owner, version);
/// an owner's pending migrations run in one <c>BEGIN IMMEDIATE</c> transaction, so two processes opening the same file
/// never both migrate, and a failed migration leaves the file as it was.
/// <para>
/// Databases made before migrations had owners kept one list in <c>schema_version</c> (1 initial, 2 workflows,
/// 3 workflow definitions, 4 access). The first open converts that record: its versions 1 and 4 are the data owner's
/// 1 and 2, its versions 2 and 3 the workflow engine's 1 and 2. <c>schema_version</c> then keeps a fence row
/// (<see cref="LegacyFenceVersion"/>), so a build from before owned migrations refuses the file as too new instead of
/// re-running its migrations over it.
/// </para>
/// </summary>
public static class Migrator
{
    /// <summary>The owner of the labeling store's tables (this project's <c>Migrations/</c> folder).</summary>
    public const string DataOwner = "data";

    /// <summary>The owner name of the workflow engine's tables (used to convert a database from the single-list era).</summary>
    public const string WorkflowsOwner = "workflows";

    /// <summary>The version written to the legacy <c>schema_version</c> table so builds that only know it refuse the file.</summary>
    public const int LegacyFenceVersion = 1000;

    /// <summary>The single-list versions of the legacy <c>schema_version</c> table and the (owner, version) each one became.</summary>
    private static readonly (int Legacy, string Owner, int Version)[] LegacyVersions =
        [(1, DataOwner, 1), (2, WorkflowsOwner, 1), (3, WorkflowsOwner, 2), (4, DataOwner, 2)];

    /// <summary>The labeling store's migrations, embedded in this build.</summary>
    public static MigrationSet Data { get; } =
        MigrationSet.Embedded(DataOwner, typeof(Migrator).Assembly, "Alignment.Data.Migrations.");

    /// <summary>The schema version of <paramref name="owner"/> recorded in the database (0 when none is).</summary>
    public static int CurrentVersion(SqliteConnection connection, string owner = DataOwner, SqliteTransaction? transaction = null)
    {
        if (!TableExists(connection, "schema_migrations", transaction))
            return 0;
        return (int)connection.ExecuteScalar<long>(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE owner = @owner", new { owner }, transaction);
    }

    /// <summary>
    /// Brings <paramref name="set"/>'s owner (default: <see cref="Data"/>) up to its latest version. Returns the versions
    /// applied. Throws <see cref="SchemaTooNewException"/> when the database holds a newer version of that owner.
    /// </summary>
    public static IReadOnlyList<int> Migrate(SqliteConnection connection, string databasePath, DateTimeOffset now, MigrationSet? set = null)
    {
        set ??= Data;
        using var transaction = connection.BeginTransaction(deferred: false);
        if (!TableExists(connection, "schema_migrations", transaction))
            CreateRecord(connection, transaction, databasePath, now);
        var current = CurrentVersion(connection, set.Owner, transaction);
        if (current > set.LatestVersion)
            throw new SchemaTooNewException(databasePath, set.Owner, current, set.LatestVersion);

        var applied = new List<int>();
        foreach (var migration in set.Migrations.Where(m => m.Version > current))
        {
            connection.Execute(migration.Sql, transaction: transaction);
            connection.Execute(
                "INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (@Owner, @Version, @Name, @AppliedAt)",
                new { set.Owner, migration.Version, migration.Name, AppliedAt = Timestamps.ToText(now) }, transaction);
            applied.Add(migration.Version);
        }
        transaction.Commit();
        return applied;
    }

    /// <summary>Creates <c>schema_migrations</c>, converting a legacy <c>schema_version</c> record, and sets the fence.</summary>
    private static void CreateRecord(SqliteConnection connection, SqliteTransaction transaction, string databasePath, DateTimeOffset now)
    {
        connection.Execute(
            """
            CREATE TABLE schema_migrations (
                owner       TEXT    NOT NULL,
                version     INTEGER NOT NULL,
                name        TEXT    NOT NULL,
                applied_at  TEXT    NOT NULL,
                PRIMARY KEY (owner, version)
            );
            CREATE TABLE IF NOT EXISTS schema_version (
                version     INTEGER PRIMARY KEY,
                name        TEXT NOT NULL,
                applied_at  TEXT NOT NULL
            );
            """, transaction: transaction);
        var legacy = connection.Query<(long Version, string Name, string AppliedAt)>(
            "SELECT version, name, applied_at FROM schema_version ORDER BY version", transaction: transaction).ToList();
        if (legacy.Count > 0 && legacy[^1].Version > LegacyVersions[^1].Legacy)
            throw new SchemaTooNewException(databasePath, DataOwner, (int)legacy[^1].Version, LegacyVersions[^1].Legacy);
        foreach (var row in legacy)
        {
            var (_, owner, version) = LegacyVersions.Single(l => l.Legacy == row.Version);
            connection.Execute(
                "INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (@owner, @version, @Name, @AppliedAt)",
                new { owner, version, row.Name, row.AppliedAt }, transaction);
        }
        connection.Execute(
            "INSERT INTO schema_version (version, name, applied_at) VALUES (@LegacyFenceVersion, 'see schema_migrations', @now)",
            new { LegacyFenceVersion, now = Timestamps.ToText(now) }, transaction);
    }

    private static bool TableExists(SqliteConnection connection, string table, SqliteTransaction? transaction) =>
        connection.ExecuteScalar<long>(
            "SELECT COUNT(1) FROM sqlite_master WHERE type = 'table' AND name = @table", new { table }, transaction) > 0;
}
