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
    public void Lineage_layout_puts_each_artifact_one_layer_below_its_deepest_input_without_overlaps()
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
        // Edges run top to bottom, from the input's bottom centre to the product's top centre.
        var placed = layout.Nodes.ToDictionary(n => n.Node.Hash);
        var edge = layout.Edges.Single(x => x.Edge.From == c.Hash);
        Assert.StartsWith($"M{LineageLayout.N(placed[c.Hash].X + LineageLayout.NodeWidth / 2)},{LineageLayout.N(placed[c.Hash].Y + LineageLayout.NodeHeight)} ", edge.Path);
        Assert.EndsWith($" {LineageLayout.N(placed[d.Hash].X + LineageLayout.NodeWidth / 2)},{LineageLayout.N(placed[d.Hash].Y)}", edge.Path);
    }

    [Fact]
    public void A_long_pipeline_s_lineage_fits_the_run_page_and_no_edge_runs_behind_a_box()
    {
        // A run's shape: a chain of 11 stage outputs (s0 -> ... -> s10) and four imported datasets used far down the chain
        // (d1 -> s3, d2 -> s6, d3 -> s9, d4 -> s10), so four edges span many layers. Left to right this was
        // 11 × (190 + 90) px wide, in a card 1,236 px wide at 1440×900, and the long edges ran behind the chain's boxes.
        static LineageNode Node(string name) => new(name.PadRight(64, '_'), ArtifactKind.Dataset, name, "o", 1, true, true);
        var chain = Enumerable.Range(0, 11).Select(i => Node($"s{i}")).ToList();
        var datasets = Enumerable.Range(1, 4).Select(i => Node($"d{i}")).ToList();
        var edges = chain.Zip(chain.Skip(1), (a, b) => new LineageEdge(a.Hash, b.Hash, "model")).ToList();
        edges.AddRange(new[] { 3, 6, 9, 10 }.Select((target, i) => new LineageEdge(datasets[i].Hash, chain[target].Hash, "data")));
        var layout = LineageLayout.Of(new LineageGraph([.. chain, .. datasets], edges));

        Assert.True(layout.Width <= 1236, $"the drawing is {layout.Width} px wide");
        Assert.Equal(edges.Count, layout.Edges.Count);
        var boxes = layout.Nodes.ToDictionary(n => n.Node.Hash);
        foreach (var edge in layout.Edges)
            foreach (var (x, y) in PathPoints(edge.Path))
                foreach (var box in layout.Nodes.Where(n => n.Node.Hash != edge.Edge.From && n.Node.Hash != edge.Edge.To))
                    Assert.False(x > box.X + 1 && x < box.X + LineageLayout.NodeWidth - 1 && y > box.Y + 1 && y < box.Y + LineageLayout.NodeHeight - 1,
                        $"edge {edge.Edge.From[..3].TrimEnd('_')} -> {edge.Edge.To[..3].TrimEnd('_')} runs behind {box.Node.Hash[..3].TrimEnd('_')} at ({x:0}, {y:0})");
        // Each edge still starts at its input's box and ends at its product's.
        foreach (var edge in layout.Edges)
        {
            var points = PathPoints(edge.Path);
            var (from, to) = (boxes[edge.Edge.From], boxes[edge.Edge.To]);
            Assert.True(Inside(points[0], from), edge.Path);
            Assert.True(Inside(points[^1], to), edge.Path);
        }
    }

    private static bool Inside((double X, double Y) p, PlacedNode box) =>
        p.X >= box.X - 0.5 && p.X <= box.X + LineageLayout.NodeWidth + 0.5 && p.Y >= box.Y - 0.5 && p.Y <= box.Y + LineageLayout.NodeHeight + 0.5;

    /// <summary>Points every 2 px along an SVG path of M, L and C commands (absolute coordinates).</summary>
    private static List<(double X, double Y)> PathPoints(string d)
    {
        var tokens = System.Text.RegularExpressions.Regex.Matches(d, @"[MLC]|-?[0-9.]+").Select(m => m.Value).ToList();
        var points = new List<(double X, double Y)>();
        (double X, double Y) at = (0, 0);
        double Next(ref int i) => double.Parse(tokens[i++], System.Globalization.CultureInfo.InvariantCulture);
        for (int i = 0; i < tokens.Count;)
        {
            string command = tokens[i++];
            if (command == "M") { at = (Next(ref i), Next(ref i)); points.Add(at); }
            else if (command == "L")
            {
                var to = (X: Next(ref i), Y: Next(ref i));
                int n = Math.Max(1, (int)(Math.Sqrt(Math.Pow(to.X - at.X, 2) + Math.Pow(to.Y - at.Y, 2)) / 2));
                for (int k = 1; k <= n; k++) points.Add((at.X + (to.X - at.X) * k / n, at.Y + (to.Y - at.Y) * k / n));
                at = to;
            }
            else
            {
                var (c1, c2, to) = ((X: Next(ref i), Y: Next(ref i)), (X: Next(ref i), Y: Next(ref i)), (X: Next(ref i), Y: Next(ref i)));
                for (int k = 1; k <= 400; k++)
                {
                    double t = k / 400.0, u = 1 - t;
                    points.Add((u * u * u * at.X + 3 * u * u * t * c1.X + 3 * u * t * t * c2.X + t * t * t * to.X,
                                u * u * u * at.Y + 3 * u * u * t * c1.Y + 3 * u * t * t * c2.Y + t * t * t * to.Y));
                }
                at = to;
            }
        }
        return points;
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
