using System.Globalization;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// How a <see cref="MetricChange"/> is said in reports, the run page and <c>align demo</c>'s summary, always with its
/// interval: <c>right sum 74.5% → 61.0% (−13.5 points, 95% CI −18.9 to −8.1)</c>. Rates are percentages with changes in
/// points; other values keep three decimals.
/// </summary>
public static class ChangeText
{
    /// <summary>"name before → after (change, 95% CI low to high)".</summary>
    public static string Describe(MetricChange c)
    {
        string interval = double.IsFinite(c.Low) && double.IsFinite(c.High) ? $", 95% CI {Delta(c, c.Low, false)} to {Delta(c, c.High, false)}" : ", no interval";
        return $"{c.Name} {Value(c, c.Baseline)} → {Value(c, c.Policy)} ({Delta(c, c.Delta, true)}{interval})";
    }

    /// <summary>The line <c>align demo</c> and the run page print for a regression.</summary>
    public static string Regression(MetricChange c) => $"REGRESSION {Describe(c)}";

    /// <summary>A value in the change's unit: "61.0%" or "2.345".</summary>
    public static string Value(MetricChange c, double value) => !double.IsFinite(value) ? "—"
        : c.Unit == "rate" ? (value * 100).ToString("F1", CultureInfo.InvariantCulture) + "%"
        : value.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>A signed change: "−13.5 points" (rates) or "+0.012" (values); the minus sign is U+2212.</summary>
    public static string Delta(MetricChange c, double delta, bool withUnit)
    {
        if (!double.IsFinite(delta)) return "—";
        string number = c.Unit == "rate" ? Math.Abs(delta * 100).ToString("F1", CultureInfo.InvariantCulture) : Math.Abs(delta).ToString("F3", CultureInfo.InvariantCulture);
        string sign = delta < 0 && number.Any(ch => ch is >= '1' and <= '9') ? "−" : delta > 0 && number.Any(ch => ch is >= '1' and <= '9') ? "+" : "";
        return sign + number + (withUnit && c.Unit == "rate" ? " points" : "");
    }
}
