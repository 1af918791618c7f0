namespace Alignment.Workflows.Reporting;

/// <summary>A legend entry: a line sample (with its dash) or a filled box.</summary>
public sealed record LegendEntry(string Name, string Color, string? Dash = null, bool Box = false);

/// <summary>What the charts share: title, legend, grid, axes with tick labels and axis titles around a <see cref="PlotArea"/>.</summary>
internal static class ChartFrame
{
    private const double LegendFirstRow = 40, LegendRowHeight = 14, CharWidth = 6.2;
    private const int MaxLegendName = 40;

    public static void Title(SvgCanvas canvas, PlotArea area, string title) =>
        canvas.Text(area.Left, 22, title, size: 14, fill: "#111111", bold: true);

    /// <summary>Legend entries left to right above the plot area, wrapping onto a second row when they do not fit.</summary>
    public static void Legend(SvgCanvas canvas, PlotArea area, IReadOnlyList<LegendEntry> entries)
    {
        double x = area.Left, y = LegendFirstRow;
        foreach (var entry in entries)
        {
            string name = entry.Name.Length > MaxLegendName ? entry.Name[..(MaxLegendName - 1)] + "…" : entry.Name;
            double width = 26 + name.Length * CharWidth + 14;
            if (x > area.Left && x + width > area.Right)
            {
                x = area.Left;
                y += LegendRowHeight;
            }
            if (entry.Box) canvas.Rect(x, y - 8, 18, 9, entry.Color, cssClass: "legend");
            else canvas.Line(x, y - 4, x + 18, y - 4, entry.Color, 2.5, entry.Dash, cssClass: "legend");
            canvas.Text(x + 24, y, name, cssClass: "legend");
            x += width;
        }
    }

    /// <summary>Horizontal grid lines and labels at the y ticks, the y axis line and its rotated title.</summary>
    public static void YAxis(SvgCanvas canvas, PlotArea area, NiceScale scale, string title, Func<double, string>? format = null)
    {
        foreach (double tick in scale.Ticks)
        {
            double y = area.Y(scale, tick);
            canvas.Line(area.Left, y, area.Right, y, ChartPalette.Grid, cssClass: "grid");
            canvas.Text(area.Left - 6, y + 4, (format ?? scale.Format)(tick), anchor: "end", size: 10, cssClass: "tick");
        }
        canvas.Line(area.Left, area.Top, area.Left, area.Bottom, ChartPalette.Axis);
        canvas.Text(14, area.Top + area.Height / 2, title, anchor: "middle", size: 11, rotate: -90);
    }

    /// <summary>Tick marks and labels along the bottom, the x axis line and its title.</summary>
    public static void XAxis(SvgCanvas canvas, PlotArea area, NiceScale scale, string title, Func<double, string>? format = null)
    {
        foreach (double tick in scale.Ticks)
        {
            double x = area.X(scale, tick);
            canvas.Line(x, area.Bottom, x, area.Bottom + 4, ChartPalette.Axis);
            canvas.Text(x, area.Bottom + 16, (format ?? scale.Format)(tick), anchor: "middle", size: 10, cssClass: "tick");
        }
        BottomAxis(canvas, area, title);
    }

    /// <summary>The x axis line and its title (category axes label their own positions).</summary>
    public static void BottomAxis(SvgCanvas canvas, PlotArea area, string title)
    {
        canvas.Line(area.Left, area.Bottom, area.Right, area.Bottom, ChartPalette.Axis);
        canvas.Text(area.Left + area.Width / 2, area.Bottom + 40, title, anchor: "middle", size: 11);
    }
}
