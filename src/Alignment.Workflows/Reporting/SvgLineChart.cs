using System.Globalization;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// A line chart of one or more series over a shared numeric x axis (training steps): nice ticks on both axes, a legend,
/// gaps where values are missing or not finite (each skipped value counted in a note), min/max-bucket downsampling of
/// long series, and point markers on short ones (so one logged step still shows).
/// </summary>
public sealed class SvgLineChart
{
    /// <summary>Series with at most this many points get a marker on every point.</summary>
    public const int MarkerLimit = 40;

    public required string Title { get; init; }
    public string XLabel { get; init; } = "step";
    public required string YLabel { get; init; }

    /// <summary>Most points drawn per series; longer series are thinned by <see cref="Downsampler.MinMax"/>.</summary>
    public int MaxPointsPerSeries { get; init; } = 400;

    /// <summary>Values the y axis always covers (e.g. 0 and 1 for accuracies), besides the data.</summary>
    public IReadOnlyList<double> YInclude { get; init; } = [];

    public PlotArea Area { get; init; } = PlotArea.Standard;

    /// <summary>Draws the series; a series without a finite point is left out with a note, and with none left there is no chart.</summary>
    public ChartResult Render(IReadOnlyList<ChartSeries> series)
    {
        var notes = new List<string>();
        var drawn = new List<(ChartSeries Series, int Index, List<List<(double X, double Y)>> Segments)>();
        for (int s = 0; s < series.Count; s++)
        {
            var segments = Segments(series[s].Points, out int skipped);
            int finite = segments.Sum(g => g.Count);
            if (skipped > 0) notes.Add($"{series[s].Name}: {Count(skipped)} missing or non-finite value{(skipped == 1 ? "" : "s")} skipped");
            if (finite == 0)
            {
                notes.Add($"{series[s].Name}: no finite values; left out");
                continue;
            }
            if (finite > MaxPointsPerSeries)
            {
                segments = segments.Select(g => Downsampler.MinMax(g, Math.Max(4, (int)((long)MaxPointsPerSeries * g.Count / finite))).ToList()).ToList();
                notes.Add($"{series[s].Name}: {Count(finite)} points drawn as {Count(segments.Sum(g => g.Count))} (lowest and highest of each bucket kept)");
            }
            drawn.Add((series[s], s, segments));
        }
        if (drawn.Count == 0)
        {
            notes.Add("no data to draw: chart omitted");
            return new ChartResult(null, notes);
        }

        var points = drawn.SelectMany(d => d.Segments.SelectMany(g => g)).ToList();
        bool integerX = points.All(p => p.X == Math.Floor(p.X));
        var x = NiceScale.For(points.Min(p => p.X), points.Max(p => p.X), 8, integerX);
        var ys = points.Select(p => p.Y).Concat(YInclude).ToList();
        var y = NiceScale.For(ys.Min(), ys.Max(), 6);

        var canvas = new SvgCanvas(PlotArea.CanvasWidth, PlotArea.CanvasHeight, Title);
        ChartFrame.Title(canvas, Area, Title);
        ChartFrame.YAxis(canvas, Area, y, YLabel);
        ChartFrame.XAxis(canvas, Area, x, XLabel);
        ChartFrame.Legend(canvas, Area, drawn.Select(d => new LegendEntry(d.Series.Name, ChartPalette.Color(d.Index), ChartPalette.Dash(d.Index))).ToList());
        foreach (var (s, index, segments) in drawn)
        {
            string color = ChartPalette.Color(index);
            var data = new Dictionary<string, string> { ["series"] = s.Name };
            bool markers = segments.Sum(g => g.Count) <= MarkerLimit;
            foreach (var segment in segments)
            {
                var pixels = segment.Select(p => (Area.X(x, p.X), Area.Y(y, p.Y))).ToList();
                if (pixels.Count > 1) canvas.Polyline(pixels, color, 2, ChartPalette.Dash(index), data);
                if (markers || pixels.Count == 1)
                    for (int i = 0; i < pixels.Count; i++)
                        canvas.Circle(pixels[i].Item1, pixels[i].Item2, 3, color, "marker", data,
                            $"{s.Name} at {XLabel} {Number(segment[i].X)}: {Number(segment[i].Y)}");
            }
        }
        return new ChartResult(canvas.ToString(), notes);
    }

    /// <summary>Runs of consecutive finite points; a missing or non-finite value ends a run and is counted.</summary>
    private static List<List<(double X, double Y)>> Segments(IReadOnlyList<(double X, double Y)> points, out int skipped)
    {
        var result = new List<List<(double X, double Y)>>();
        var current = new List<(double X, double Y)>();
        skipped = 0;
        foreach (var p in points)
        {
            if (double.IsFinite(p.X) && double.IsFinite(p.Y))
            {
                current.Add(p);
                continue;
            }
            skipped++;
            if (current.Count > 0) result.Add(current);
            current = [];
        }
        if (current.Count > 0) result.Add(current);
        return result;
    }

    private static string Count(int n) => n.ToString("N0", CultureInfo.InvariantCulture);

    private static string Number(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}
