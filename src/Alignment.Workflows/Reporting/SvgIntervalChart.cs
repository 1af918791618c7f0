using System.Globalization;

namespace Alignment.Workflows.Reporting;

/// <summary>An estimate with its interval, e.g. a win rate and its 95% Wilson interval.</summary>
public sealed record IntervalItem(string Label, double Value, double Low, double High);

/// <summary>
/// Rates on a 0–100% axis, one row per item: a point at the estimate, whiskers with caps from the low to the high end
/// of its interval, and a dashed reference line (50%: no difference between policy and baseline).
/// </summary>
public sealed class SvgIntervalChart
{
    /// <summary>Height of one item's row.</summary>
    public const double RowHeight = 50;

    public required string Title { get; init; }
    public string XLabel { get; init; } = "win rate of the policy (ties count half)";
    public string Caption { get; init; } = "point: estimate · whiskers: 95% interval · dashed: 50%";

    /// <summary>Where the reference line is drawn (0.5 for a win rate).</summary>
    public double Reference { get; init; } = 0.5;

    /// <summary>The plot area for <paramref name="rows"/> items: labels get the 150 units on the left.</summary>
    public static PlotArea AreaFor(int rows) => new(150, 64, 460, RowHeight * Math.Max(1, rows));

    /// <summary>Draws the items; one whose estimate or interval is not finite is left out with a note.</summary>
    public ChartResult Render(IReadOnlyList<IntervalItem> items)
    {
        var notes = new List<string>();
        var kept = new List<IntervalItem>();
        foreach (var item in items)
        {
            if (double.IsFinite(item.Value) && double.IsFinite(item.Low) && double.IsFinite(item.High)) kept.Add(item);
            else notes.Add($"{item.Label}: no finite estimate; left out");
        }
        if (kept.Count == 0)
        {
            notes.Add("no data to draw: chart omitted");
            return new ChartResult(null, notes);
        }
        var area = AreaFor(kept.Count);
        var x = NiceScale.For(0, 1, 6);
        var canvas = new SvgCanvas(PlotArea.CanvasWidth, area.Bottom + 50, Title);
        ChartFrame.Title(canvas, area, Title);
        canvas.Text(area.Left, 40, Caption, size: 10, fill: "#555555");
        foreach (double tick in x.Ticks)
            canvas.Line(area.X(x, tick), area.Top, area.X(x, tick), area.Bottom, ChartPalette.Grid, cssClass: "grid");
        ChartFrame.XAxis(canvas, area, x, XLabel, Percent);
        double reference = area.X(x, Reference);
        canvas.Line(reference, area.Top - 4, reference, area.Bottom, ChartPalette.Axis, 1.5, "5 4", "reference");
        canvas.Text(reference, area.Top - 7, Percent(Reference), anchor: "middle", size: 9, fill: ChartPalette.Axis);

        for (int i = 0; i < kept.Count; i++)
        {
            var item = kept[i];
            double cy = area.Top + (i + 0.5) * RowHeight;
            string color = ChartPalette.Color(0);
            double lo = area.X(x, Math.Clamp(item.Low, 0, 1)), hi = area.X(x, Math.Clamp(item.High, 0, 1)), at = area.X(x, Math.Clamp(item.Value, 0, 1));
            var data = new Dictionary<string, string> { ["item"] = item.Label };
            canvas.Text(area.Left - 8, cy + 4, item.Label, anchor: "end", size: 11);
            canvas.Line(lo, cy, hi, cy, color, 2, cssClass: "whisker");
            canvas.Line(lo, cy - 7, lo, cy + 7, color, 2, cssClass: "whisker");
            canvas.Line(hi, cy - 7, hi, cy + 7, color, 2, cssClass: "whisker");
            canvas.Circle(at, cy, 5, color, "estimate", data,
                $"{item.Label}: {Percent(item.Value)} (95% interval {Percent(item.Low)} – {Percent(item.High)})");
            canvas.Text(at, cy - 11, Percent(item.Value), anchor: "middle", size: 10, bold: true);
        }
        return new ChartResult(canvas.ToString(), notes);
    }

    /// <summary>A share as a percentage with one decimal at most ("50%", "58.3%").</summary>
    public static string Percent(double share) => (share * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%";
}
