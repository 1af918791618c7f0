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
        Assert.Equal(Migrator.Data.LatestVersion, db.Store.SchemaVersion);
        Assert.True(Migrator.Data.LatestVersion >= 2);
        var versions = db.Store.Read(c => c.Query<long>("SELECT version FROM schema_migrations WHERE owner = 'data' ORDER BY version").ToList());
        Assert.Equal(Enumerable.Range(1, Migrator.Data.LatestVersion).Select(v => (long)v), versions);
        // Only the data owner's tables: the workflow engine migrates its own when it first uses the store.
        Assert.Equal(0L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM schema_migrations WHERE owner <> 'data'")));
        Assert.Equal(0L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM sqlite_master WHERE name = 'workflow_instances'")));
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
        Assert.Equal((long)Migrator.Data.LatestVersion, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM schema_migrations")));
    }

    [Fact]
    public void A_database_newer_than_the_code_is_refused_with_both_versions_named()
    {
        using var db = new TestDb();
        var newer = Migrator.Data.LatestVersion + 3;
        db.Store.Write((c, t) => c.Execute("INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES ('data', @newer, 'future', 'x')", new { newer }, t));
        var error = Assert.Throws<SchemaTooNewException>(() => AlignStore.Open(db.Store.DatabasePath, db.Clock));
        Assert.Equal(newer, error.FileVersion);
        Assert.Equal(Migrator.Data.LatestVersion, error.KnownVersion);
        Assert.Equal("data", error.Owner);
        Assert.Contains($"schema version {newer} of its data tables", error.Message);
        Assert.Contains($"up to {Migrator.Data.LatestVersion}", error.Message);
    }

    [Fact]
    public void Another_owners_newer_tables_do_not_stop_the_data_owner_but_are_refused_to_that_owner()
    {
        using var db = new TestDb();
        var notes = new MigrationSet("notes", [new Migration(1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY);")]);
        db.Store.Write((c, t) => c.Execute("INSERT INTO schema_migrations (owner, version, name, applied_at) VALUES ('notes', 7, 'future', 'x')", transaction: t));

        var again = AlignStore.Open(db.Store.DatabasePath, db.Clock);
        var error = Assert.Throws<SchemaTooNewException>(() => again.EnsureSchema(notes));
        Assert.Equal(("notes", 7, 1), (error.Owner, error.FileVersion, error.KnownVersion));
        Assert.Equal(0L, again.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM sqlite_master WHERE name = 'notes'")));
    }

    [Fact]
    public void Ensure_schema_applies_an_owners_migrations_once_beside_the_data_owner()
    {
        using var db = new TestDb();
        var notes = new MigrationSet("notes", [
            new Migration(1, "notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);"),
            new Migration(2, "tags", "CREATE TABLE tags (id INTEGER PRIMARY KEY);")]);
        db.Store.EnsureSchema(notes);
        db.Store.EnsureSchema(notes);
        AlignStore.Open(db.Store.DatabasePath, db.Clock).EnsureSchema(notes);

        var rows = db.Store.Read(c => c.Query<(string Owner, long Version)>("SELECT owner, version FROM schema_migrations ORDER BY owner, version").ToList());
        var data = Enumerable.Range(1, Migrator.Data.LatestVersion).Select(v => ("data", (long)v));
        Assert.Equal([.. data, ("notes", 1L), ("notes", 2L)], rows);
        Assert.Equal(2L, db.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM sqlite_master WHERE name IN ('notes', 'tags')")));
    }

    [Fact]
    public void Pending_migrations_apply_in_order_and_a_failing_one_leaves_the_file_unchanged()
    {
        using var db = new TestDb();
        var good = new Migration(Migrator.Data.LatestVersion + 1, "add_notes", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);");
        var bad = new Migration(Migrator.Data.LatestVersion + 2, "broken", "CREATE TABLE other (id INTEGER PRIMARY KEY); THIS IS NOT SQL;");
        using var connection = (SqliteConnection)db.Store.OpenConnection();

        Assert.ThrowsAny<SqliteException>(() => Migrator.Migrate(connection, db.Store.DatabasePath, db.Clock.GetUtcNow(),
            Migrator.Data with { Migrations = [.. Migrator.Data.Migrations, good, bad] }));
        Assert.Equal(Migrator.Data.LatestVersion, Migrator.CurrentVersion(connection));
        Assert.Equal(0L, connection.ExecuteScalar<long>("SELECT COUNT(1) FROM sqlite_master WHERE name IN ('notes', 'other')"));

        var applied = Migrator.Migrate(connection, db.Store.DatabasePath, db.Clock.GetUtcNow(), Migrator.Data with { Migrations = [.. Migrator.Data.Migrations, good] });
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
