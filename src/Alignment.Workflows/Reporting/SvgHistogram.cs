using System.Globalization;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// Histograms of several samples over the same bins, bars side by side in each bin (e.g. answer lengths of the policy
/// and the baseline). Bins are the intervals between nice ticks; integer data (token counts) gets whole-number bins
/// [k, k + width), other data closes its last bin at the top.
/// </summary>
public sealed class SvgHistogram
{
    public required string Title { get; init; }
    public required string XLabel { get; init; }
    public string YLabel { get; init; } = "answers";

    /// <summary>About how many bins.</summary>
    public int MaxBins { get; init; } = 12;

    public PlotArea Area { get; init; } = PlotArea.Standard;

    /// <summary>The bins for <paramref name="values"/>: a nice scale whose ticks are the bin edges.</summary>
    public NiceScale Bins(IReadOnlyCollection<double> values)
    {
        bool integers = values.All(v => v == Math.Floor(v));
        return NiceScale.For(values.Min(), values.Max() + (integers ? 1 : 0), MaxBins + 1, integers);
    }

    /// <summary>Counts per bin of <paramref name="values"/> (non-finite values are not counted).</summary>
    public static int[] Count(NiceScale bins, IEnumerable<double> values)
    {
        int n = bins.Ticks.Count - 1;
        var counts = new int[n];
        foreach (double v in values.Where(double.IsFinite))
            counts[Math.Clamp((int)Math.Floor((v - bins.Min) / bins.Step + 1e-9), 0, n - 1)]++;
        return counts;
    }

    /// <summary>Draws the samples; non-finite values are skipped (noted), and with no finite value anywhere there is no chart.</summary>
    public ChartResult Render(IReadOnlyList<(string Name, IReadOnlyList<double> Values)> samples)
    {
        var notes = new List<string>();
        foreach (var (name, values) in samples)
        {
            int bad = values.Count(v => !double.IsFinite(v));
            if (bad > 0) notes.Add($"{name}: {bad} non-finite value{(bad == 1 ? "" : "s")} skipped");
        }
        var all = samples.SelectMany(s => s.Values).Where(double.IsFinite).ToList();
        if (all.Count == 0)
        {
            notes.Add("no data to draw: chart omitted");
            return new ChartResult(null, notes);
        }
        var bins = Bins(all);
        var counts = samples.Select(s => Count(bins, s.Values)).ToList();
        var y = NiceScale.For(0, Math.Max(1, counts.Max(c => c.Max())), 6, integers: true);

        var canvas = new SvgCanvas(PlotArea.CanvasWidth, PlotArea.CanvasHeight, Title);
        ChartFrame.Title(canvas, Area, Title);
        ChartFrame.YAxis(canvas, Area, y, YLabel);
        ChartFrame.XAxis(canvas, Area, bins, XLabel);
        ChartFrame.Legend(canvas, Area, samples.Select((s, i) => new LegendEntry(s.Name, ChartPalette.Color(i), Box: true)).ToList());
        double binWidth = Area.Width / counts[0].Length, barWidth = binWidth * 0.9 / samples.Count;
        for (int b = 0; b < counts[0].Length; b++)
        {
            double start = bins.Min + b * bins.Step;
            for (int s = 0; s < samples.Count; s++)
            {
                int count = counts[s][b];
                double top = Area.Y(y, count);
                var data = new Dictionary<string, string>
                {
                    ["series"] = samples[s].Name, ["bin"] = bins.Format(start), ["count"] = count.ToString(CultureInfo.InvariantCulture),
                };
                canvas.Rect(Area.Left + b * binWidth + binWidth * 0.05 + s * barWidth, top, barWidth, Area.Bottom - top, ChartPalette.Color(s), "bar", data,
                    $"{samples[s].Name}: {count} in [{bins.Format(start)}, {bins.Format(start + bins.Step)})");
            }
        }
        return new ChartResult(canvas.ToString(), notes);
    }
}
