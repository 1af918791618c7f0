using System.Reflection;
using System.Text.RegularExpressions;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Data.Store;

/// <summary>One numbered SQL migration embedded in the assembly (<c>Migrations/NNNN_name.sql</c>).</summary>
/// <param name="Version">The schema version this migration brings the database to.</param>
/// <param name="Name">The file name without the version prefix and extension.</param>
/// <param name="Sql">The SQL script.</param>
public sealed record Migration(int Version, string Name, string Sql);

/// <summary>
/// Applies the embedded migrations in order. The <c>schema_version</c> table records each applied
/// version; all pending migrations run in one <c>BEGIN IMMEDIATE</c> transaction, so two processes
/// opening the same file never both migrate, and a failed migration leaves the file as it was.
/// </summary>
public static partial class Migrator
{
    private const string ResourcePrefix = "Alignment.Data.Migrations.";

    /// <summary>The migrations embedded in this build, in version order, checked to be 1, 2, 3, ...</summary>
    public static IReadOnlyList<Migration> Embedded { get; } = LoadEmbedded();

    /// <summary>The newest schema version this build knows.</summary>
    public static int LatestVersion => Embedded.Count == 0 ? 0 : Embedded[^1].Version;

    /// <summary>The schema version recorded in the database (0 for a new file).</summary>
    public static int CurrentVersion(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        var exists = connection.ExecuteScalar<long>(
            "SELECT COUNT(1) FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'",
            transaction: transaction);
        if (exists == 0)
            return 0;
        return (int)connection.ExecuteScalar<long>(
            "SELECT COALESCE(MAX(version), 0) FROM schema_version", transaction: transaction);
    }

    /// <summary>
    /// Brings the database up to <see cref="LatestVersion"/> (or <paramref name="migrations"/>' last version).
    /// Returns the versions applied. Throws <see cref="SchemaTooNewException"/> for a newer file.
    /// </summary>
    public static IReadOnlyList<int> Migrate(SqliteConnection connection, string databasePath,
        DateTimeOffset now, IReadOnlyList<Migration>? migrations = null)
    {
        migrations ??= Embedded;
        var known = migrations.Count == 0 ? 0 : migrations[^1].Version;
        using var transaction = connection.BeginTransaction(deferred: false);
        connection.Execute(
            """
            CREATE TABLE IF NOT EXISTS schema_version (
                version     INTEGER PRIMARY KEY,
                name        TEXT NOT NULL,
                applied_at  TEXT NOT NULL
            )
            """, transaction: transaction);
        var current = CurrentVersion(connection, transaction);
        if (current > known)
            throw new SchemaTooNewException(databasePath, current, known);

        var applied = new List<int>();
        foreach (var migration in migrations.Where(m => m.Version > current))
        {
            connection.Execute(migration.Sql, transaction: transaction);
            connection.Execute(
                "INSERT INTO schema_version (version, name, applied_at) VALUES (@Version, @Name, @AppliedAt)",
                new { migration.Version, migration.Name, AppliedAt = Timestamps.ToText(now) }, transaction);
            applied.Add(migration.Version);
        }
        transaction.Commit();
        return applied;
    }

    private static List<Migration> LoadEmbedded()
    {
        var assembly = typeof(Migrator).Assembly;
        var migrations = new List<Migration>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal) || !resource.EndsWith(".sql", StringComparison.Ordinal))
                continue;
            var fileName = resource[ResourcePrefix.Length..^".sql".Length];
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
                    $"Embedded migrations must be numbered 1, 2, 3, ... without gaps; found version {migrations[i].Version} at position {i + 1}.");
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
