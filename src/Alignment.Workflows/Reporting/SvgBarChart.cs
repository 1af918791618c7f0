using System.Globalization;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// Grouped bars: one group per category (e.g. a judge rule), one bar per series in each group (e.g. policy and
/// baseline hit rates), value labels on the bars, the value axis from 0 (or below, for negative values).
/// </summary>
public sealed class SvgBarChart
{
    public required string Title { get; init; }
    public required string YLabel { get; init; }
    public string XLabel { get; init; } = "";

    /// <summary>Values the y axis always covers besides 0 and the data (e.g. 1 for rates).</summary>
    public IReadOnlyList<double> YInclude { get; init; } = [];

    /// <summary>Formats bar and axis values; default: the axis's own tick format.</summary>
    public Func<double, string>? Format { get; init; }

    public PlotArea Area { get; init; } = PlotArea.Standard;

    /// <summary>Draws <paramref name="series"/> (name, one value per category); a non-finite value gets no bar and a note.</summary>
    public ChartResult Render(IReadOnlyList<string> categories, IReadOnlyList<(string Name, IReadOnlyList<double> Values)> series)
    {
        var notes = new List<string>();
        foreach (var (name, values) in series)
        {
            if (values.Count != categories.Count) throw new ArgumentException($"series {name} has {values.Count} values for {categories.Count} categories");
            int bad = values.Count(v => !double.IsFinite(v));
            if (bad > 0) notes.Add($"{name}: {bad} missing or non-finite value{(bad == 1 ? "" : "s")} skipped");
        }
        var finite = series.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        if (categories.Count == 0 || finite.Count == 0)
        {
            notes.Add("no data to draw: chart omitted");
            return new ChartResult(null, notes);
        }
        var y = NiceScale.For(Math.Min(0, finite.Concat(YInclude).Min()), Math.Max(0, finite.Concat(YInclude).Max()), 6);
        var format = Format ?? y.Format;

        var canvas = new SvgCanvas(PlotArea.CanvasWidth, PlotArea.CanvasHeight, Title);
        ChartFrame.Title(canvas, Area, Title);
        ChartFrame.YAxis(canvas, Area, y, YLabel, format);
        ChartFrame.BottomAxis(canvas, Area, XLabel);
        ChartFrame.Legend(canvas, Area, series.Select((s, i) => new LegendEntry(s.Name, ChartPalette.Color(i), Box: true)).ToList());
        double group = Area.Width / categories.Count, bar = group * 0.8 / series.Count, zero = Area.Y(y, 0);
        int maxChars = Math.Max(3, (int)(group / 6.2));
        for (int c = 0; c < categories.Count; c++)
        {
            double left = Area.Left + c * group;
            string label = categories[c].Length > maxChars ? categories[c][..(maxChars - 1)] + "…" : categories[c];
            canvas.Text(left + group / 2, Area.Bottom + 16, label, anchor: "middle", size: 10, cssClass: "tick");
            for (int s = 0; s < series.Count; s++)
            {
                double v = series[s].Values[c];
                if (!double.IsFinite(v)) continue;
                double top = Math.Min(zero, Area.Y(y, v)), x = left + group * 0.1 + s * bar;
                var data = new Dictionary<string, string> { ["series"] = series[s].Name, ["category"] = categories[c], ["value"] = v.ToString("R", CultureInfo.InvariantCulture) };
                canvas.Rect(x, top, bar, Math.Abs(Area.Y(y, v) - zero), ChartPalette.Color(s), "bar", data, $"{categories[c]}, {series[s].Name}: {format(v)}");
                canvas.Text(x + bar / 2, top - 3, format(v), anchor: "middle", size: 9);
            }
        }
        return new ChartResult(canvas.ToString(), notes);
    }
}
