using System.Globalization;
using System.Text;
using Alignment.Workflows.Queries;

namespace Alignment.LabelingUi.Features.Runs;

/// <summary>A node's box in the lineage drawing.</summary>
public sealed record PlacedNode(LineageNode Node, int Layer, int Row, double X, double Y);

/// <summary>An edge's path in the lineage drawing (an SVG path <c>d</c>), from an input's bottom to a product's top.</summary>
public sealed record PlacedEdge(LineageEdge Edge, string Path);

/// <summary>
/// A layered top-to-bottom layout of the lineage DAG (after Sugiyama): each artifact's layer is the longest path from an
/// artifact without inputs; an edge that spans several layers gets a thin slot of its own in every layer it passes
/// (a dummy node), so it runs between the boxes instead of behind them; slots inside a layer are ordered by the mean
/// position of their neighbours (a few sweeps in both directions, which untangles most crossings). A run's stages are
/// a long chain, so layers stacked top to bottom keep the drawing as wide as its widest layer (a few boxes), where
/// left to right it was thousands of pixels wide.
/// </summary>
public sealed class LineageLayout
{
    /// <summary>Box width.</summary>
    public const double NodeWidth = 190;
    /// <summary>Box height.</summary>
    public const double NodeHeight = 58;
    /// <summary>Width of the slot an edge takes in a layer it passes through.</summary>
    public const double EdgeSlot = 14;
    private const double LayerGap = 46, SlotGap = 18, Margin = 12;

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
        var real = ids.ToHashSet(StringComparer.Ordinal);
        var edges = graph.Edges.Where(e => real.Contains(e.From) && real.Contains(e.To) && e.From != e.To).ToList();
        var inputs = ids.ToDictionary(i => i, _ => new List<string>(), StringComparer.Ordinal);
        var outputs = ids.ToDictionary(i => i, _ => new List<string>(), StringComparer.Ordinal);
        foreach (var e in edges)
        {
            inputs[e.To].Add(e.From);
            outputs[e.From].Add(e.To);
        }
        var layer = Layers(ids, inputs, outputs);

        // Dummies: edge i passing layer l is "~i~l"; the layering graph links the chain from -> dummies -> to.
        var chains = new List<(LineageEdge Edge, List<string> Via)>();
        for (int i = 0; i < edges.Count; i++)
        {
            var e = edges[i];
            var via = new List<string>();
            string previous = e.From;
            for (int l = layer[e.From] + 1; l < layer[e.To]; l++)
            {
                string dummy = $"~{i}~{l}";
                via.Add(dummy);
                layer[dummy] = l;
                inputs[dummy] = [previous];
                outputs[dummy] = [];
                outputs[previous].Add(dummy);
                previous = dummy;
            }
            if (via.Count > 0)
            {
                outputs[previous].Add(e.To);
                inputs[e.To].Add(previous);
            }
            chains.Add((e, via));
        }
        var layers = layer.Keys.GroupBy(i => layer[i]).OrderBy(g => g.Key)
            .Select(g => g.OrderBy(i => real.Contains(i) ? 0 : 1).ThenBy(i => i, StringComparer.Ordinal).ToList()).ToList();
        Order(layers, inputs, outputs);

        // x: slots packed left to right and each layer centred under the widest; y: one band per layer.
        double SlotWidth(string id) => real.Contains(id) ? NodeWidth : EdgeSlot;
        double LayerWidth(List<string> l) => l.Sum(SlotWidth) + Math.Max(0, l.Count - 1) * SlotGap;
        double widest = layers.Count == 0 ? 0 : layers.Max(LayerWidth);
        var x = new Dictionary<string, double>(StringComparer.Ordinal);
        var placed = new Dictionary<string, PlacedNode>(StringComparer.Ordinal);
        var byId = graph.Nodes.ToDictionary(n => n.Hash, StringComparer.Ordinal);
        for (int l = 0; l < layers.Count; l++)
        {
            double left = Margin + (widest - LayerWidth(layers[l])) / 2;
            for (int r = 0; r < layers[l].Count; r++)
            {
                var id = layers[l][r];
                x[id] = left;
                if (real.Contains(id)) placed[id] = new PlacedNode(byId[id], l, r, left, Top(l));
                left += SlotWidth(id) + SlotGap;
            }
        }

        var paths = chains.Select(c =>
        {
            var (from, to) = (placed[c.Edge.From], placed[c.Edge.To]);
            // Down from the input's bottom centre, straight through each slot the edge passes, into the product's top centre.
            var points = new List<(double X, double Y)> { (from.X + NodeWidth / 2, from.Y + NodeHeight) };
            foreach (var dummy in c.Via)
            {
                double centre = x[dummy] + EdgeSlot / 2;
                points.Add((centre, Top(layer[dummy])));
                points.Add((centre, Top(layer[dummy]) + NodeHeight));
            }
            points.Add((to.X + NodeWidth / 2, to.Y));
            return new PlacedEdge(c.Edge, Path(points));
        }).ToList();
        double height = layers.Count == 0 ? 2 * Margin : Top(layers.Count - 1) + NodeHeight + Margin;
        return new LineageLayout(placed.Values.OrderBy(p => p.Layer).ThenBy(p => p.Row).ToList(), paths, widest + 2 * Margin, height);
    }

    private static double Top(int layer) => Margin + layer * (NodeHeight + LayerGap);

    /// <summary>
    /// Points alternate gap crossings (an S-curve with vertical tangents, between one layer's bottom and the next one's top)
    /// and straight runs through a slot.
    /// </summary>
    private static string Path(List<(double X, double Y)> points)
    {
        var d = new StringBuilder(FormattableString.Invariant($"M{points[0].X:0.#},{points[0].Y:0.#}"));
        for (int i = 1; i < points.Count; i++)
        {
            var (a, b) = (points[i - 1], points[i]);
            if (i % 2 == 0)
            {
                d.Append(FormattableString.Invariant($" L{b.X:0.#},{b.Y:0.#}"));
                continue;
            }
            double bend = (b.Y - a.Y) / 2;
            d.Append(FormattableString.Invariant($" C{a.X:0.#},{a.Y + bend:0.#} {b.X:0.#},{b.Y - bend:0.#} {b.X:0.#},{b.Y:0.#}"));
        }
        return d.ToString();
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

    /// <summary>Barycenter sweeps: down by the inputs' positions, up by the outputs' positions.</summary>
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
        // Positions as fractions of the layer, so a narrow layer's slots line up with the middle of a wide one's.
        double Fraction(int i, int count) => (i + 0.5) / count;
        var row = neighbourLayer.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => Fraction(x.i, neighbourLayer.Count), StringComparer.Ordinal);
        var current = layer.Select((id, i) => (id, i)).ToDictionary(x => x.id, x => Fraction(x.i, layer.Count), StringComparer.Ordinal);
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
