namespace Alignment.Workflows.Reporting;

/// <summary>
/// A rendered chart, or none: <see cref="Svg"/> is null when there was nothing to draw (every value missing or not
/// finite), and <see cref="Notes"/> says what was left out or simplified (skipped values, downsampling, omission).
/// </summary>
public sealed record ChartResult(string? Svg, IReadOnlyList<string> Notes)
{
    /// <summary>Whether a chart was drawn.</summary>
    public bool Drawn => Svg is not null;
}

/// <summary>A named series of (x, y) points; non-finite values are allowed and are skipped when drawn (and noted).</summary>
public sealed record ChartSeries(string Name, IReadOnlyList<(double X, double Y)> Points);
