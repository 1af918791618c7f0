namespace Alignment.Workflows.Reporting;

/// <summary>The rectangle of a chart where data is drawn, in SVG user units (y grows downwards).</summary>
public sealed record PlotArea(double Left, double Top, double Width, double Height)
{
    /// <summary>The area every chart of a report uses on its 640 × 360 canvas: x 60 … 620, y 60 … 300.</summary>
    public static PlotArea Standard { get; } = new(60, 60, 560, 240);

    /// <summary>Canvas width of the standard charts.</summary>
    public const double CanvasWidth = 640;

    /// <summary>Canvas height of the standard charts.</summary>
    public const double CanvasHeight = 360;

    public double Right => Left + Width;
    public double Bottom => Top + Height;

    /// <summary>Pixel x of <paramref name="value"/> on <paramref name="scale"/>: its Min at <see cref="Left"/>, its Max at <see cref="Right"/>.</summary>
    public double X(NiceScale scale, double value) => Left + (value - scale.Min) / (scale.Max - scale.Min) * Width;

    /// <summary>Pixel y of <paramref name="value"/> on <paramref name="scale"/>: its Min at <see cref="Bottom"/>, its Max at <see cref="Top"/>.</summary>
    public double Y(NiceScale scale, double value) => Bottom - (value - scale.Min) / (scale.Max - scale.Min) * Height;
}
