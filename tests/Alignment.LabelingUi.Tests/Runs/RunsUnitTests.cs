using Alignment.LabelingUi.Features.Runs;
using Alignment.Workflows;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Queries;

namespace Alignment.LabelingUi.Tests.Runs;

// The pure parts of the dashboard: reading a metrics file that is being written, and the lineage layout.
public class RunsUnitTests
{
    [Fact]
    public void Metrics_tail_counts_complete_lines_only_and_names_a_bad_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"metrics-{Guid.NewGuid():N}.jsonl");
        try
        {
            File.WriteAllText(path, "{\"step\":1,\"loss\":2.5}\n\n{\"step\":2,\"loss\":2.0}\n{\"step\":3,");
            var page = MetricsTail.Read(path, 0);
            Assert.Equal([2.5, 2.0], page.Rows.Select(r => (double)r["loss"]!));
            Assert.Equal(2, page.Next);
            Assert.Equal(5, MetricsTail.Read(path, 5).Next);   // asking past the end gives nothing and keeps the caller's count
            Assert.Empty(MetricsTail.Read(path, 5).Rows);
            var capped = MetricsTail.Read(path, 0, maxRows: 1);
            Assert.Equal(1, Assert.Single(capped.Rows)["step"]!.GetValue<int>());
            Assert.Equal(1, capped.Next);

            File.AppendAllText(path, "oops\n");
            var error = Assert.Throws<WorkflowException>(() => MetricsTail.Read(path, 2));
            Assert.StartsWith($"{path}:4: not valid JSON", error.Message);
            Assert.Empty(MetricsTail.Read(Path.Combine(Path.GetTempPath(), "absent.jsonl"), 0).Rows);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void Lineage_layout_puts_each_artifact_one_layer_right_of_its_deepest_input_without_overlaps()
    {
        static LineageNode Node(char c) => new(new string(c, 64), ArtifactKind.Dataset, "a", "o", 1, true, true);
        var (a, b, c, d, e) = (Node('a'), Node('b'), Node('c'), Node('d'), Node('e'));
        // a -> c, b -> c, c -> d, a -> d (a long edge), e alone
        var graph = new LineageGraph([a, b, c, d, e],
            [new(a.Hash, c.Hash, "x"), new(b.Hash, c.Hash, "y"), new(c.Hash, d.Hash, "x"), new(a.Hash, d.Hash, "y")]);
        var layout = LineageLayout.Of(graph);
        var layer = layout.Nodes.ToDictionary(n => n.Node.Hash, n => n.Layer);
        Assert.Equal(0, layer[a.Hash]);
        Assert.Equal(0, layer[b.Hash]);
        Assert.Equal(0, layer[e.Hash]);
        Assert.Equal(1, layer[c.Hash]);
        Assert.Equal(2, layer[d.Hash]);   // longest path a -> c -> d, not the direct a -> d
        Assert.Equal(4, layout.Edges.Count);
        foreach (var p in layout.Nodes)
            foreach (var q in layout.Nodes.Where(q => q != p))
                Assert.False(Math.Abs(p.X - q.X) < LineageLayout.NodeWidth && Math.Abs(p.Y - q.Y) < LineageLayout.NodeHeight, $"{p.Node.Hash[0]} overlaps {q.Node.Hash[0]}");
        Assert.All(layout.Nodes, n => Assert.True(n.X + LineageLayout.NodeWidth <= layout.Width && n.Y + LineageLayout.NodeHeight <= layout.Height));
        // Edges run left to right, from the input's right side to the product's left side.
        var placed = layout.Nodes.ToDictionary(n => n.Node.Hash);
        var edge = layout.Edges.Single(x => x.Edge.From == c.Hash);
        Assert.StartsWith($"M{LineageLayout.N(placed[c.Hash].X + LineageLayout.NodeWidth)},", edge.Path);
        Assert.EndsWith($" {LineageLayout.N(placed[d.Hash].X)},{LineageLayout.N(placed[d.Hash].Y + LineageLayout.NodeHeight / 2)}", edge.Path);
    }
}

// A crashed attempt's run folder stays in artifacts/.tmp until swept; the curves come from the live attempt's folder.
public class RunFolderTests
{
    [Fact]
    public void The_most_recently_marked_run_folder_of_a_stage_is_the_live_one()
    {
        using var app = new Infrastructure.LabelingFactory();
        var engine = app.Service<Alignment.Workflows.Execution.WorkflowEngine>();
        var (id, crashed) = RunFixtures.RunningDpoStage(engine, totalSteps: 8);
        File.SetLastWriteTimeUtc(Path.Combine(crashed, Alignment.Workflows.Execution.StageRunFolders.MarkerFile), DateTime.UtcNow.AddMinutes(-10));
        var live = engine.Artifacts.NewTempPath(Alignment.Workflows.Execution.StageRunFolders.Suffix);
        Alignment.Workflows.Execution.StageRunFolders.Mark(live, id, "dpo", 1, 6);
        var other = engine.Artifacts.NewTempPath(Alignment.Workflows.Execution.StageRunFolders.Suffix);
        Alignment.Workflows.Execution.StageRunFolders.Mark(other, id, "dpo", 2, 3);   // another iteration: never picked for iteration 1

        var found = Alignment.Workflows.Execution.StageRunFolders.Find(engine.Artifacts, id, "dpo", 1);
        Assert.Equal(live, found?.Path);
        Assert.Equal(6, found?.TotalSteps);
        Assert.Null(Alignment.Workflows.Execution.StageRunFolders.Find(engine.Artifacts, id, "sft", 1));
    }
}
