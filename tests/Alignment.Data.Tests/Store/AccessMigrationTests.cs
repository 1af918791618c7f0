using Alignment.Data.Annotators;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;
using Microsoft.Data.Sqlite;

namespace Alignment.Data.Tests.Store;

// Data migration 0002 (access) on a store made before membership: every existing account labels every existing project as before,
// new projects start empty, and each account gets its own security stamp.
public sealed class AccessMigrationTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("align-access-migration-").FullName;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public void Existing_accounts_stay_members_of_existing_projects_and_new_projects_start_empty()
    {
        var path = Path.Combine(_folder, "align.db");
        var now = new DateTimeOffset(2026, 11, 1, 8, 0, 0, TimeSpan.Zero);
        using (var connection = new SqliteConnection($"Data Source={path}"))
        {
            connection.Open();
            Migrator.Migrate(connection, path, now, Migrator.Data with { Migrations = Migrator.Data.Migrations.Where(m => m.Version <= 1).ToList() });
            connection.Execute("INSERT INTO projects (name, created_at) VALUES ('old-1', '2026-11-01T08:00:00.000Z'), ('old-2', '2026-11-01T08:00:00.000Z')");
            connection.Execute("""
                INSERT INTO annotators (name, role, token_hash, created_at) VALUES
                ('ann', 'annotator', 'h1', '2026-11-01T08:00:00.000Z'), ('bob', 'annotator', 'h2', '2026-11-01T08:00:00.000Z')
                """);
            var prompt = connection.ExecuteScalar<long>("INSERT INTO prompts (project_id, text, created_at) VALUES (1, 'p', '2026-11-01T08:00:00.000Z') RETURNING id");
            var a = connection.ExecuteScalar<long>($"INSERT INTO responses (prompt_id, text, created_at) VALUES ({prompt}, 'a', '2026-11-01T08:00:00.000Z') RETURNING id");
            var b = connection.ExecuteScalar<long>($"INSERT INTO responses (prompt_id, text, created_at) VALUES ({prompt}, 'b', '2026-11-01T08:00:00.000Z') RETURNING id");
            connection.Execute($"INSERT INTO comparisons (project_id, prompt_id, response_a_id, response_b_id, remaining, created_at) VALUES (1, {prompt}, {a}, {b}, 1, '2026-11-01T08:00:00.000Z')");
        }

        var store = AlignStore.Open(path);

        Assert.True(store.SchemaVersion >= 2);
        Assert.Equal(4, store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM project_members")));
        var stamps = store.Read(c => c.Query<string>("SELECT security_stamp FROM annotators").ToList());
        Assert.Equal(2, stamps.Distinct().Count());
        Assert.All(stamps, s => Assert.Equal(32, s.Length));

        // The old annotator labels the old project as before; a project made now has no members.
        var ann = new AnnotatorService(store).Find("ann")!.Id;
        Assert.NotNull(new QueueService(store).NextItem(1, ann));
        var fresh = new ProjectService(store).Create(new ProjectSettings("new"));
        Assert.Empty(new ProjectMembers(store).List(fresh.Id));
        Assert.Throws<ForbiddenException>(() => new QueueService(store).NextItem(fresh.Id, ann));
        Assert.Equal(["old-1", "old-2"], new ProjectMembers(store).ProjectsOf(ann).Select(p => p.Name));
    }
}
