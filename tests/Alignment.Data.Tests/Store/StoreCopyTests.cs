using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.Tests.Store;

public class StoreCopyTests
{
    /// <summary>Every row of every labeling table, columns in a fixed order, as text (what the two stores must agree on).</summary>
    private static readonly string[] Tables =
        ["projects", "annotators", "project_members", "prompts", "responses", "comparisons", "assignments", "judgments", "adjudications", "data_protection_keys"];

    private static List<string> Rows(AlignStore store, string table) => store.Read(connection =>
    {
        var rows = new List<string>();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT * FROM {table} ORDER BY 1, 2";
        using var reader = command.ExecuteReader();
        var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
        while (reader.Read())
            rows.Add(string.Join("|", names.Order(StringComparer.Ordinal).Select(n =>
                reader[n] is DBNull ? "null" : Convert.ToString(reader[n], System.Globalization.CultureInfo.InvariantCulture))));
        return rows;
    });

    /// <summary>A SQLite store with a project, two members, judged comparisons and one revised judgment (a self reference to a later row).</summary>
    private static TestDb Source()
    {
        var db = new TestDb();
        var project = db.Projects.Create(new ProjectSettings("copy me", OverlapK: 2));
        for (var i = 0; i < 4; i++)
            db.Comparison(project.Id, $"prompt {i}\twith a tab", $"answer A{i}\nline two \\ backslash", $"answer B{i}", "model-a", null);
        var queue = new QueueService(db.Store, new Random(3));
        var ann = db.Annotator("ann");
        var bob = db.Annotator("bob");
        long first = 0;
        for (var i = 0; i < 3; i++)
        {
            var item = queue.NextItem(project.Id, ann)!;
            var id = queue.Submit(item.AssignmentId, ann, new JudgmentInput(ShownChoice.Left, -2, "why: ünïcode ✓", null, 900 + i)).JudgmentId;
            if (i == 0)
                first = id;
        }
        var other = queue.NextItem(project.Id, bob)!;
        queue.Submit(other.AssignmentId, bob, new JudgmentInput(ShownChoice.Tie, 0));
        queue.Revise(first, ann, new JudgmentInput(ShownChoice.Right, 3));
        return db;
    }

    [PostgresFact]
    public void Copies_every_labeling_table_with_its_ids_and_moves_the_sequences_past_them()
    {
        using var source = Source();
        using var target = new PostgresTestDatabase();
        var to = AlignStore.Open(StoreLocation.Parse(target.Url));
        Assert.True(source.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments WHERE superseded_by IS NOT NULL")) == 1);

        var copied = StoreCopy.Copy(source.Store, to, [Migrator.Data]);

        foreach (var table in Tables)
            Assert.Equal(Rows(source.Store, table), Rows(to, table));
        Assert.Equal(source.Store.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM judgments")), copied.Single(t => t.Table == "judgments").Rows);
        // Parents come before the tables that reference them.
        var order = copied.Select(t => t.Table).ToList();
        Assert.True(order.IndexOf("projects") < order.IndexOf("comparisons") && order.IndexOf("assignments") < order.IndexOf("judgments"));
        // A new row gets the next id after the copied ones, not 1.
        var maxAnnotator = source.Store.Read(c => c.ExecuteScalar<long>("SELECT MAX(id) FROM annotators"));
        Assert.Equal(maxAnnotator + 1, new Annotators.AnnotatorService(to).Create("carol", AnnotatorRole.Annotator).Annotator.Id);
    }

    [PostgresFact]
    public void A_target_that_holds_data_is_refused_and_left_as_it_was()
    {
        using var source = Source();
        using var target = new PostgresTestDatabase();
        var to = AlignStore.Open(StoreLocation.Parse(target.Url));
        new Annotators.AnnotatorService(to).Create("already-here", AnnotatorRole.Admin);

        var error = Assert.Throws<StoreCopyException>(() => StoreCopy.Copy(source.Store, to, [Migrator.Data]));

        Assert.Contains("already holds data (table annotators has rows)", error.Message);
        Assert.Equal(["already-here"], to.Read(c => c.Query<string>("SELECT name FROM annotators").ToList()));
        Assert.Equal(0L, to.Read(c => c.ExecuteScalar<long>("SELECT COUNT(1) FROM projects")));
    }

    [Fact]
    public void Only_sqlite_to_postgresql_is_accepted()
    {
        using var a = new TestDb();
        using var b = new TestDb();
        Assert.Contains("is not a PostgreSQL store", Assert.Throws<StoreCopyException>(() => StoreCopy.Copy(a.Store, b.Store, [Migrator.Data])).Message);
    }
}
