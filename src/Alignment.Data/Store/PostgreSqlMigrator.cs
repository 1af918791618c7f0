using Dapper;
using Npgsql;

namespace Alignment.Data.Store;

/// <summary>
/// Applies an owner's PostgreSQL migrations (<see cref="MigrationSet.PostgreSqlMigrations"/>), recorded in the same
/// <c>schema_migrations (owner, version)</c> table as on SQLite. PostgreSQL's DDL is transactional: an owner's pending
/// migrations run in one transaction, after a transaction-level advisory lock that makes concurrent migrators (several
/// servers starting on one database) wait for each other, so a failed migration leaves the database as it was.
/// </summary>
public static class PostgreSqlMigrator
{
    /// <summary>The advisory lock key migrators take (any constant; "align" in ASCII).</summary>
    private const long LockKey = 0x616c69676e;

    /// <summary>The schema version of <paramref name="owner"/> recorded in the database (0 when none is).</summary>
    public static int CurrentVersion(NpgsqlConnection connection, string owner, NpgsqlTransaction? transaction = null)
    {
        if (connection.ExecuteScalar<string?>("SELECT to_regclass('schema_migrations')::text", transaction: transaction) is null)
            return 0;
        return (int)connection.ExecuteScalar<long>(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations WHERE owner = @owner", new { owner }, transaction);
    }

    /// <summary>
    /// Brings <paramref name="set"/>'s owner up to its latest version on the open <paramref name="connection"/>; returns
    /// the versions applied. Throws <see cref="SchemaTooNewException"/> (naming <paramref name="display"/>) for newer tables.
    /// </summary>
    public static IReadOnlyList<int> Migrate(NpgsqlConnection connection, string display, DateTimeOffset now, MigrationSet set)
    {
        var migrations = set.PostgreSqlMigrations;
        if (migrations.Count != set.Migrations.Count)
            throw new InvalidOperationException($"The {set.Owner} migrations have no PostgreSQL dialect for every version.");
        using var transaction = connection.BeginTransaction();
        connection.Execute("SELECT pg_advisory_xact_lock(@LockKey)", new { LockKey }, transaction);
        connection.Execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                owner       TEXT   NOT NULL,
                version     BIGINT NOT NULL,
                name        TEXT   NOT NULL,
                applied_at  TEXT   NOT NULL,
                PRIMARY KEY (owner, version)
            )
            """, transaction: transaction);
        var current = CurrentVersion(connection, set.Owner, transaction);
        var latest = migrations.Count == 0 ? 0 : migrations[^1].Version;
        if (current > latest)
            throw new SchemaTooNewException(display, set.Owner, current, latest);

        var applied = new List<int>();
        foreach (var migration in migrations.Where(m => m.Version > current))
        {
            connection.Execute(migration.Sql, transaction: transaction);
            connection.Execute(
                "INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES (@Owner, @Version, @Name, @AppliedAt)",
                new { set.Owner, Version = (long)migration.Version, migration.Name, AppliedAt = Timestamps.ToText(now) }, transaction);
            applied.Add(migration.Version);
        }
        transaction.Commit();
        return applied;
    }
}
