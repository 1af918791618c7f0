using Alignment.Data.Store;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Data.Tests.Store;

public class StoreTests
{
    [Fact]
    public void Open_applies_every_embedded_migration_and_records_it()
    {
        using var db = new TestDb();
        Assert.Equal(Migrator.LatestVersion, db.Store.SchemaVersion);
        Assert.True(Migrator.LatestVersion >= 1);
        var versions = db.Store.Read(c => c.Query<long>("SELECT version FROM schema_version ORDER BY version").ToList());
        Assert.Equal(Enumerable.Range(1, Migrator.LatestVersion).Select(v => (long)v), versions);
    }

    [Fact]
    public void Connections_use_wal_foreign_keys_and_a_busy_timeout()
    {
        using var db = new TestDb();
        using var connection = db.Store.OpenConnection();
        Assert.Equal("wal", connection.ExecuteScalar<string>("PRAGMA journal_mode"));
        Assert.Equal(1L, connection.ExecuteScalar<long>("PRAGMA foreign_keys"));
        Assert.Equal((long)AlignStore.BusyTimeoutMs, connection.ExecuteScalar<long>("PRAGMA busy_timeout"));
    }

    [Fact]
    public void Foreign_keys_are_enforced()
    {
        using var db = new TestDb();
        var error = Assert.Throws<SqliteException>(() => db.Store.Write((c, t) =>
            c.Execute("INSERT INTO prompts (project_id, text, created_at) VALUES (999, 'x', 'now')", transaction: t)));
        Assert.Contains("FOREIGN KEY", error.Message);
    }

    [Fact]
    public void Reopening_is_a_no_op_for_migrations()
    {
        using var db = new TestDb();
        var again = AlignStore.Open(db.Store.DatabasePath, db.Clock);
        Assert.Equal(db.Store.SchemaVersion, again.SchemaVersion);
        Assert.Equal((long)Migrator.LatestVersion, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM schema_version")));
    }

    [Fact]
    public void A_database_newer_than_the_code_is_refused_with_both_versions_named()
    {
        using var db = new TestDb();
        var newer = Migrator.LatestVersion + 3;
        db.Store.Write((c, t) => c.Execute("INSERT INTO schema_version (version, name, applied_at) VALUES (@newer, 'future', 'x')", new { newer }, t));
        var error = Assert.Throws<SchemaTooNewException>(() => AlignStore.Open(db.Store.DatabasePath, db.Clock));
        Assert.Equal(newer, error.FileVersion);
        Assert.Equal(Migrator.LatestVersion, error.KnownVersion);
        Assert.Contains($"schema version {newer}", error.Message);
        Assert.Contains($"up to {Migrator.LatestVersion}", error.Message);
    }

    [Fact]
    public void Pending_migrations_apply_in_order_and_a_failing_one_leaves_the_file_unchanged()
    {
        using var db = new TestDb();
        var good = new Migration(Migrator.LatestVersion + 1, "add_notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);");
        var bad = new Migration(Migrator.LatestVersion + 2, "broken", "CREATE TABLE other (id INTEGER PRIMARY KEY); THIS IS NOT SQL;");
        using var connection = db.Store.OpenConnection();

        Assert.ThrowsAny<SqliteException>(() => Migrator.Migrate(connection, db.Store.DatabasePath, db.Clock.GetUtcNow(), [.. Migrator.Embedded, good, bad]));
        Assert.Equal(Migrator.LatestVersion, Migrator.CurrentVersion(connection));
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM sqlite_master WHERE name IN ('notes', 'other')"));

        var applied = Migrator.Migrate(connection, db.Store.DatabasePath, db.Clock.GetUtcNow(), [.. Migrator.Embedded, good]);
        Assert.Equal([good.Version], applied);
        Assert.Equal(good.Version, Migrator.CurrentVersion(connection));
    }

    [Fact]
    public void Timestamps_round_trip_and_sort_as_text()
    {
        var early = new DateTimeOffset(2026, 1, 2, 3, 4, 5, 678, TimeSpan.FromHours(2));
        var late = early.AddMilliseconds(1);
        Assert.Equal("2026-01-02T01:04:05.678Z", Timestamps.ToText(early));
        Assert.Equal(early, Timestamps.Parse(Timestamps.ToText(early)));
        Assert.True(string.CompareOrdinal(Timestamps.ToText(early), Timestamps.ToText(late)) < 0);
    }
}

public class AlignHomeTests
{
    [Fact]
    public void Explicit_home_wins_then_environment_then_dot_align()
    {
        var saved = Environment.GetEnvironmentVariable(AlignHome.EnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(AlignHome.EnvironmentVariable, null);
            Assert.Equal(Path.GetFullPath(".align"), AlignHome.Resolve());
            Assert.Equal(Path.Combine(Path.GetFullPath(".align"), "align.db"), AlignHome.DatabasePath());

            Environment.SetEnvironmentVariable(AlignHome.EnvironmentVariable, "/tmp/align-home-env");
            Assert.Equal("/tmp/align-home-env", AlignHome.Resolve());
            Assert.Equal("/tmp/align-home-env/align.db", AlignHome.DatabasePath());

            Assert.Equal("/tmp/explicit-home", AlignHome.Resolve("/tmp/explicit-home"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(AlignHome.EnvironmentVariable, saved);
        }
    }
}
