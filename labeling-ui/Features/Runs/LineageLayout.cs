using System.Globalization;
using Alignment.Workflows.Queries;

namespace Alignment.LabelingUi.Features.Runs;

/// <summary>A node's box in the lineage drawing.</summary>
public sealed record PlacedNode(LineageNode Node, int Layer, int Row, double X, double Y);

/// <summary>An edge's path in the lineage drawing (an SVG path <c>d</c>), from an input's right side to a product's left side.</summary>
public sealed record PlacedEdge(LineageEdge Edge, string Path, double LabelX, double LabelY);

/// <summary>
/// A layered left-to-right layout of the lineage DAG (after Sugiyama): each artifact's layer is the longest path from
/// an artifact without inputs, rows inside a layer are ordered by the mean row of their neighbours (a few sweeps in
/// both directions, which untangles most crossings), and edges are cubic curves between the layers.
/// </summary>
public sealed class LineageLayout
{
    /// <summary>Box width.</summary>
    public const double NodeWidth = 190;
    /// <summary>Box height.</summary>
    public const double NodeHeight = 58;
    private const double LayerGap = 90, RowGap = 22, Margin = 12;

    private LineageLayout(IReadOnlyList<PlacedNode> nodes, IReadOnlyList<PlacedEdge> edges, double width, double height)
    {
        Nodes = nodes;
        Edges = edges;
        Width = width;
        Height = height;
    }

    /// <summary>The placed boxes.</summary>
    public IReadOnlyList<PlacedNode> Nodes { get; }
    /// <summary>The placed edges.</summary>
    public IReadOnlyList<PlacedEdge> Edges { get; }
    /// <summary>Drawing width.</summary>
    public double Width { get; }
    /// <summary>Drawing height.</summary>
    public double Height { get; }

    /// <summary>Lays out a lineage graph.</summary>
    public static LineageLayout Of(LineageGraph graph)
    {
        var ids = graph.Nodes.Select(n => n.Hash).ToList();
        var inputs = ids.ToDictionary(i => i, _ => new List<string>(), StringComparer.Ordinal);
        var outputs = ids.ToDictionary(i => i, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var e in graph.Edges.Where(e => inputs.ContainsKey(e.From) && inputs.ContainsKey(e.To) && e.From != e.To))
        {
            inputs[e.To].Add(e.From);
            outputs[e.From].Add(e.To);
        }
        var layer = Layers(ids, inputs, outputs);
        var layers = ids.GroupBy(i => layer[i]).OrderBy(g => g.Key).Select(g => g.OrderBy(i => i, StringComparer.Ordinal).ToList()).ToList();
        Order(layers, inputs, outputs);

        var byId = graph.Nodes.ToDictionary(n => n.Hash, StringComparer.Ordinal);
        int maxRows = layers.Count == 0 ? 0 : layers.Max(l => l.Count);
        double columnHeight = maxRows * NodeHeight + Math.Max(0, maxRows - 1) * RowGap;
        var placed = new Dictionary<string, PlacedNode>(StringComparer.Ordinal);
        for (int l = 0; l < layers.Count; l++)
        {
            double height = layers[l].Count * NodeHeight + (layers[l].Count - 1) * RowGap;
            double top = Margin + (columnHeight - height) / 2;
            for (int r = 0; r < layers[l].Count; r++)
            {
                var id = layers[l][r];
                placed[id] = new PlacedNode(byId[id], l, r, Margin + l * (NodeWidth + LayerGap), top + r * (NodeHeight + RowGap));
            }
        }
        var edges = graph.Edges.Where(e => placed.ContainsKey(e.From) && placed.ContainsKey(e.To)).Select(e =>
        {
            var (a, b) = (placed[e.From], placed[e.To]);
            double x1 = a.X + NodeWidth, y1 = a.Y + NodeHeight / 2, x2 = b.X, y2 = b.Y + NodeHeight / 2, bend = Math.Max(30, (x2 - x1) / 2);
            string d = FormattableString.Invariant($"M{x1:0.#},{y1:0.#} C{x1 + bend:0.#},{y1:0.#} {x2 - bend:0.#},{y2:0.#} {x2:0.#},{y2:0.#}");
            return new PlacedEdge(e, d, (x1 + x2) / 2, (y1 + y2) / 2);
        }).ToList();
        double width = 2 * Margin + layers.Count * NodeWidth + Math.Max(0, layers.Count - 1) * LayerGap;
        return new LineageLayout(placed.Values.OrderBy(p => p.Layer).ThenBy(p => p.Row).ToList(), edges, width, 2 * Margin + columnHeight);
    }

    /// <summary>Longest path from a source (Kahn's order); a node on a cycle (impossible for content hashes) stays at layer 0.</summary>
    private static Dictionary<string, int> Layers(List<string> ids, Dictionary<string, List<string>> inputs, Dictionary<string, List<string>> outputs)
    {
        var layer = ids.ToDictionary(i => i, _ => 0, StringComparer.Ordinal);
        var remaining = ids.ToDictionary(i => i, i => inputs[i].Count, StringComparer.Ordinal);
        var ready = new Queue<string>(ids.Where(i => remaining[i] == 0));
        while (ready.TryDequeue(out var id))
            foreach (var next in outputs[id])
            {
                layer[next] = Math.Max(layer[next], layer[id] + 1);
                if (--remaining[next] == 0) ready.Enqueue(next);
            }
        return layer;
    }

    /// <summary>Barycenter sweeps: down by the inputs' rows, up by the outputs' rows.</summary>
    private static void Order(List<List<string>> layers, Dictionary<string, List<string>> inputs, Dictionary<string, List<string>> outputs)
    {
        for (int sweep = 0; sweep < 4; sweep++)
        {
            for (int l = 1; l < layers.Count; l++) Sort(layers[l], layers[l - 1], inputs);
            for (int l = layers.Count - 2; l >= 0; l--) Sort(layers[l], layers[l + 1], outputs);
        }
    }

    private static void Sort(List<string> layer, List<string> neighbourLayer, Dictionary<string, List<string>> neighbours)
    {
        var row = neighbourLayer.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => (double)x.i, StringComparer.Ordinal);
        var current = layer.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => (double)x.i, StringComparer.Ordinal);
        double Key(string id)
        {
            var near = neighbours[id].Where(row.ContainsKey).Select(n => row[n]).ToList();
            return near.Count == 0 ? current[id] : near.Average();
        }
        var keys = layer.ToDictionary(id => id, Key, StringComparer.Ordinal);
        layer.Sort((a, b) => keys[a] != keys[b] ? keys[a].CompareTo(keys[b]) : current[a].CompareTo(current[b]));
    }

    /// <summary>A number for an SVG attribute.</summary>
    public static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);
}
