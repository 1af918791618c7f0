using System.Globalization;
using System.Xml.Linq;
using Alignment.Workflows.Reporting;

namespace Alignment.Workflows.Tests;

// Chart geometry is checked against coordinates worked out by hand from the standard plot area
// (x 60 … 620, y 60 … 300: px = 60 + (x − xmin)/(xmax − xmin)·560, py = 300 − (y − ymin)/(ymax − ymin)·240).
public class ReportChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Theory]
    [InlineData(0, 0.93, new[] { 0, 0.2, 0.4, 0.6, 0.8, 1.0 })]            // Heckbert: range 1, step 0.2
    [InlineData(0, 1234, new[] { 0.0, 500, 1000, 1500 })]                    // range 2000, step 500
    [InlineData(-3.2, 7.9, new[] { -5.0, 0, 5, 10 })]                        // range 20, step 5
    [InlineData(0.69, 0.69, new[] { 0.6, 0.65, 0.7, 0.75, 0.8 })]            // one value: widened by 10%, step 0.05
    [InlineData(0, 0, new[] { -1.0, -0.5, 0, 0.5, 1 })]                      // zero widened by 1
    public void Nice_scales_have_round_ticks(double min, double max, double[] expected)
    {
        var scale = NiceScale.For(min, max);
        Assert.Equal(expected, scale.Ticks);
        Assert.Equal(expected[0], scale.Min);
        Assert.Equal(expected[^1], scale.Max);
    }

    [Fact]
    public void Nice_scale_labels_use_the_steps_decimals_in_the_invariant_culture()
    {
        var scale = NiceScale.For(0, 0.93);
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0"], scale.Ticks.Select(scale.Format));
        Assert.Equal("0.60", NiceScale.For(0.69, 0.69).Format(0.6));
        Assert.Equal(["1", "2", "3"], NiceScale.For(1, 3, 8, integers: true).Ticks.Select(t => t.ToString(CultureInfo.InvariantCulture)));
        Assert.Equal(["4", "5", "6"], NiceScale.For(5, 5, 6, integers: true).Ticks.Select(t => t.ToString(CultureInfo.InvariantCulture)));
        Assert.Throws<ArgumentException>(() => NiceScale.For(0, double.PositiveInfinity));
    }

    private static SvgLineChart Line() => new() { Title = "loss", YLabel = "loss" };

    private static List<XElement> Elements(string svg, string name, string? series = null) =>
        XDocument.Parse(svg).Descendants(Svg + name).Where(e => series is null || (string?)e.Attribute("data-series") == series).ToList();

    [Fact]
    public void A_known_series_maps_to_known_pixels()
    {
        // x 1..4 → integer ticks 1..4 (60 … 620); y 0..0.9 → ticks 0..1 by 0.2 (300 … 60).
        var result = Line().Render([new ChartSeries("loss", [(1, 0.9), (2, 0.5), (3, 0.3), (4, 0.0)])]);
        Assert.True(result.Drawn);
        Assert.Empty(result.Notes);
        var line = Assert.Single(Elements(result.Svg!, "polyline", "loss"));
        Assert.Equal("60.00,84.00 246.67,180.00 433.33,228.00 620.00,300.00", (string)line.Attribute("points")!);
        Assert.Equal(4, Elements(result.Svg!, "circle", "loss").Count);   // short series: a marker per point
        var ticks = XDocument.Parse(result.Svg!).Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "tick").Select(t => t.Value).ToList();
        Assert.Equal(["0.0", "0.2", "0.4", "0.6", "0.8", "1.0", "1", "2", "3", "4"], ticks);
        Assert.Equal("0 0 640.00 360.00", (string)XDocument.Parse(result.Svg!).Root!.Attribute("viewBox")!);
    }

    [Fact]
    public void Missing_and_non_finite_values_leave_gaps_and_are_noted()
    {
        var result = Line().Render([new ChartSeries("loss", [(1, 0.9), (2, double.NaN), (3, 0.3), (4, 0.0), (5, double.PositiveInfinity)])]);
        // The scales come from the finite points (x 1 … 4, y 0 … 0.9): the same pixels as above, with a gap after step 1.
        var line = Assert.Single(Elements(result.Svg!, "polyline", "loss"));
        Assert.Equal("433.33,228.00 620.00,300.00", (string)line.Attribute("points")!);
        var markers = Elements(result.Svg!, "circle", "loss").Select(c => ((string)c.Attribute("cx")!, (string)c.Attribute("cy")!)).ToList();
        Assert.Equal([("60.00", "84.00"), ("433.33", "228.00"), ("620.00", "300.00")], markers);
        Assert.Equal(["loss: 2 missing or non-finite values skipped"], result.Notes);
    }

    [Fact]
    public void A_single_point_is_drawn_as_a_marker_and_an_empty_chart_is_omitted_with_a_note()
    {
        var one = Line().Render([new ChartSeries("loss", [(7, 0.5)])]);
        var marker = Assert.Single(Elements(one.Svg!, "circle", "loss"));
        Assert.Empty(Elements(one.Svg!, "polyline"));
        // x 7 widened to 6 … 8, y 0.5 widened by 10% on both sides: the point sits in the middle of the plot.
        Assert.Equal(("340.00", "180.00"), ((string)marker.Attribute("cx")!, (string)marker.Attribute("cy")!));

        var none = Line().Render([new ChartSeries("loss", [(1, double.NaN)]), new ChartSeries("eval_loss", [])]);
        Assert.False(none.Drawn);
        Assert.Equal(["loss: 1 missing or non-finite value skipped", "loss: no finite values; left out", "eval_loss: no finite values; left out",
                      "no data to draw: chart omitted"], none.Notes);
    }

    [Fact]
    public void Downsampling_keeps_the_extremes_of_every_bucket()
    {
        var points = Enumerable.Range(1, 10_000).Select(i => ((double)i, Math.Sin(i / 50.0))).ToList();
        points[5122] = (5123, 100);
        points[7776] = (7777, -50);
        var kept = Downsampler.MinMax(points, 400);
        Assert.InRange(kept.Count, 300, 400);
        Assert.Contains((5123.0, 100.0), kept);
        Assert.Contains((7777.0, -50.0), kept);
        Assert.Equal(points[0], kept[0]);
        Assert.Equal(points[^1], kept[^1]);
        Assert.True(kept.Zip(kept.Skip(1)).All(p => p.First.Item1 < p.Second.Item1), "points stay in x order");

        var chart = Line().Render([new ChartSeries("loss", points)]);
        Assert.Contains($"loss: 10,000 points drawn as {kept.Count} (lowest and highest of each bucket kept)", chart.Notes);
        Assert.Empty(Elements(chart.Svg!, "circle"));   // long series: no markers
        var y = NiceScale.For(-50, 100);                 // −50 … 100 by 50: the spike reaches the top of the plot
        Assert.Contains("60.00", ((string)Elements(chart.Svg!, "polyline").Single().Attribute("points")!).Split(' ').Select(p => p.Split(',')[1]));
        Assert.Equal(100, y.Max);
    }

    [Fact]
    public void Output_is_deterministic_whatever_the_culture_and_labels_are_escaped()
    {
        var series = new[] { new ChartSeries("rewards/margins <β & \"γ\">", [(1, 0.25), (2, 1.5)]), new ChartSeries("rewards/chosen", [(1, -0.5), (2, 0.75)]) };
        string first = Line().Render(series).Svg!;
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = new CultureInfo("de-DE");
            Assert.Equal(first, Line().Render(series).Svg!);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
        var doc = XDocument.Parse(first);
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "rewards/margins <β & \"γ\">");
        Assert.Contains("&lt;β &amp; &quot;γ&quot;&gt;", first);
        // Two series: colours and dashes differ (Okabe–Ito blue solid, orange dashed).
        var lines = doc.Descendants(Svg + "polyline").ToList();
        Assert.Equal(["#0072B2", "#E69F00"], lines.Select(l => (string)l.Attribute("stroke")!));
        Assert.Null(lines[0].Attribute("stroke-dasharray"));
        Assert.Equal("6 3", (string)lines[1].Attribute("stroke-dasharray")!);
    }

    [Fact]
    public void Interval_chart_places_the_estimate_whiskers_and_the_50_percent_line()
    {
        // Plot area 150 … 610 for 0 … 100%: px = 150 + 460·share; the only row is centred at y 64 + 25 = 89.
        var result = new SvgIntervalChart { Title = "win rate" }.Render([new IntervalItem("policy vs baseline", 0.8, 0.49, 0.94)]);
        var doc = XDocument.Parse(result.Svg!);
        var point = doc.Descendants(Svg + "circle").Single();
        Assert.Equal(("518.00", "89.00"), ((string)point.Attribute("cx")!, (string)point.Attribute("cy")!));
        var whisker = doc.Descendants(Svg + "line").First(l => (string?)l.Attribute("class") == "whisker");
        Assert.Equal(("375.40", "582.40"), ((string)whisker.Attribute("x1")!, (string)whisker.Attribute("x2")!));
        var reference = doc.Descendants(Svg + "line").Single(l => (string?)l.Attribute("class") == "reference");
        Assert.Equal("380.00", (string)reference.Attribute("x1")!);
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "80%");
        Assert.Contains(doc.Descendants(Svg + "text"), t => t.Value == "50%");

        var empty = new SvgIntervalChart { Title = "win rate" }.Render([new IntervalItem("x", double.NaN, 0, 1)]);
        Assert.False(empty.Drawn);
    }

    [Fact]
    public void Histogram_bins_integer_lengths_and_draws_grouped_bars()
    {
        // Lengths 3 … 8 → whole-number bins [3,4) … [8,9): 6 bins of 93.33 px; counts up to 3 → y 0 … 3 (80 px per answer).
        var result = new SvgHistogram { Title = "lengths", XLabel = "tokens" }.Render(
            [("policy", [3, 3, 4, 5, 8]), ("baseline", [5, 5, 5, 6, double.NaN])]);
        var bars = XDocument.Parse(result.Svg!).Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        Assert.Equal(12, bars.Count);
        int Count(string series, string bin) => int.Parse((string)bars.Single(b => (string)b.Attribute("data-series")! == series && (string)b.Attribute("data-bin")! == bin).Attribute("data-count")!, CultureInfo.InvariantCulture);
        Assert.Equal([2, 1, 1, 0, 0, 1], new[] { "3", "4", "5", "6", "7", "8" }.Select(b => Count("policy", b)));
        Assert.Equal([0, 0, 3, 1, 0, 0], new[] { "3", "4", "5", "6", "7", "8" }.Select(b => Count("baseline", b)));
        var first = bars.Single(b => (string)b.Attribute("data-series")! == "policy" && (string)b.Attribute("data-bin")! == "3");
        Assert.Equal(("64.67", "140.00", "42.00", "160.00"), ((string)first.Attribute("x")!, (string)first.Attribute("y")!, (string)first.Attribute("width")!, (string)first.Attribute("height")!));
        var fives = bars.Single(b => (string)b.Attribute("data-series")! == "baseline" && (string)b.Attribute("data-bin")! == "5");
        Assert.Equal(("293.33", "60.00"), ((string)fives.Attribute("x")!, (string)fives.Attribute("y")!));
        Assert.Equal(["baseline: 1 non-finite value skipped"], result.Notes);
    }

    [Fact]
    public void Grouped_bars_show_rates_from_zero_and_skip_missing_values()
    {
        var result = new SvgBarChart { Title = "rules", YLabel = "rate", YInclude = [1], Format = SvgIntervalChart.Percent }.Render(
            ["polite", "cites a source"], [("policy", [0.9, 0.25]), ("baseline", [0.4, double.NaN])]);
        var bars = XDocument.Parse(result.Svg!).Descendants(Svg + "rect").Where(r => (string?)r.Attribute("class") == "bar").ToList();
        Assert.Equal(3, bars.Count);
        // Groups of 280 px; bars 112 px wide after a 28 px gap; y 0 … 1 → 300 … 60.
        var polite = bars[0];
        Assert.Equal(("88.00", "84.00", "112.00", "216.00"), ((string)polite.Attribute("x")!, (string)polite.Attribute("y")!, (string)polite.Attribute("width")!, (string)polite.Attribute("height")!));
        Assert.Equal("200.00", (string)bars[1].Attribute("x")!);
        Assert.Equal("204.00", (string)bars[1].Attribute("y")!);
        Assert.Equal(["baseline: 1 missing or non-finite value skipped"], result.Notes);
        Assert.Contains(XDocument.Parse(result.Svg!).Descendants(Svg + "text"), t => t.Value == "90%");
    }
}
