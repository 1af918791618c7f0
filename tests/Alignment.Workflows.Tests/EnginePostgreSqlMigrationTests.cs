using Alignment.Data.Store;
using Alignment.Data.Tests;
using Dapper;

namespace Alignment.Workflows.Tests;

// The workflow engine's migrations in the PostgreSQL dialect, on a real server, beside the data owner's: the same
// tables, columns and named indexes as the SQLite file an engine makes, recorded under the engine's owner.
public sealed class EnginePostgreSqlMigrationTests
{
    [PostgresFact]
    public void The_engines_postgresql_migrations_make_the_same_tables_columns_and_indexes_as_on_sqlite()
    {
        using var home = new TestHome();
        var expectedColumns = home.Engine.Db.Read(c => c.Query<(string, string)>(
            """
            SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name <> 'schema_version' ORDER BY m.name, p.name
            """).ToList());
        var expectedIndexes = home.Engine.Db.Read(c => c.Query<string>(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND (name LIKE 'ix_%' OR name LIKE 'ux_%') ORDER BY name").ToList());
        using var db = new PostgresTestDatabase();
        using var connection = db.Open();
        var now = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);

        PostgreSqlMigrator.Migrate(connection, db.Name, now, Migrator.Data);
        var applied = PostgreSqlMigrator.Migrate(connection, db.Name, now, EngineMigrations.Set);

        Assert.Equal([1, 2, 3], applied);
        Assert.Equal(["workflows", "workflow_definitions", "execution_worker"],
            connection.Query<string>("SELECT name FROM schema_migrations WHERE owner = 'workflows' ORDER BY version"));
        var columns = connection.Query<(string, string)>(
            "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' ORDER BY table_name COLLATE \"C\", column_name COLLATE \"C\"").ToList();
        var indexes = connection.Query<string>(
            "SELECT indexname FROM pg_indexes WHERE schemaname = 'public' AND (indexname LIKE 'ix\\_%' OR indexname LIKE 'ux\\_%') ORDER BY indexname COLLATE \"C\"").ToList();
        Assert.Equal(expectedColumns, columns);
        Assert.Equal(expectedIndexes, indexes);
        Assert.Contains(("workflow_instances", "lease_owner"), columns);
    }
}
