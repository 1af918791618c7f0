namespace Alignment.Workflows.Reporting;

/// <summary>
/// Series colours and dash patterns: the Okabe–Ito palette (distinguishable with the common colour-vision deficiencies),
/// each series after the first also dashed differently, so lines stay apart in grey print too.
/// </summary>
public static class ChartPalette
{
    /// <summary>Blue, orange, bluish green, vermillion, reddish purple, sky blue, black, yellow.</summary>
    public static IReadOnlyList<string> Colors { get; } = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000", "#F0E442"];

    /// <summary>Dash patterns (null = solid).</summary>
    public static IReadOnlyList<string?> Dashes { get; } = [null, "6 3", "2 3", "8 3 2 3"];

    /// <summary>The colour of series <paramref name="index"/>.</summary>
    public static string Color(int index) => Colors[index % Colors.Count];

    /// <summary>The dash pattern of series <paramref name="index"/>.</summary>
    public static string? Dash(int index) => Dashes[index % Dashes.Count];

    /// <summary>Grid lines.</summary>
    public const string Grid = "#E5E5E5";

    /// <summary>Axis lines and reference lines.</summary>
    public const string Axis = "#666666";
}
