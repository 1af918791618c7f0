using System.Globalization;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// An axis range widened to "nice" round numbers with evenly spaced ticks (steps of 1, 2 or 5 times a power of ten),
/// after Heckbert's "Nice numbers for graph labels" (Graphics Gems, 1990): 0 … 0.93 becomes 0, 0.2, …, 1.0.
/// </summary>
public sealed record NiceScale
{
    private NiceScale(double min, double max, double step)
    {
        Step = step;
        Decimals = Math.Max(0, -(int)Math.Floor(Math.Log10(step) + 1e-9));
        // Each tick computed from its index and rounded below the step's decimals: 0.6, not 0.6000000000000001.
        int digits = Math.Min(15, Decimals + 2), count = (int)Math.Round((max - min) / step) + 1;
        Ticks = Enumerable.Range(0, count).Select(i => Math.Round(min + i * step, digits)).ToArray();
        Min = Ticks[0];
        Max = Ticks[^1];
    }

    /// <summary>Lower end of the axis (a multiple of <see cref="Step"/>).</summary>
    public double Min { get; }

    /// <summary>Upper end of the axis (a multiple of <see cref="Step"/>).</summary>
    public double Max { get; }

    /// <summary>Distance between ticks.</summary>
    public double Step { get; }

    /// <summary>Tick values from <see cref="Min"/> to <see cref="Max"/> inclusive.</summary>
    public IReadOnlyList<double> Ticks { get; }

    /// <summary>Decimals that tell the ticks apart (0 for a step of 1 or more, 1 for 0.2, 2 for 0.05 …).</summary>
    public int Decimals { get; }

    /// <summary>
    /// A nice scale covering <paramref name="min"/> … <paramref name="max"/> with about <paramref name="maxTicks"/> ticks.
    /// A zero-width range is widened around its value (by 10% of it, or by 1 around zero; by 1 for
    /// <paramref name="integers"/>, whose ticks are then whole numbers); non-finite bounds are an error.
    /// </summary>
    public static NiceScale For(double min, double max, int maxTicks = 6, bool integers = false)
    {
        if (!double.IsFinite(min) || !double.IsFinite(max)) throw new ArgumentException($"axis range {min} … {max} is not finite");
        if (maxTicks < 2) throw new ArgumentOutOfRangeException(nameof(maxTicks), "an axis needs at least 2 ticks");
        if (min > max) (min, max) = (max, min);
        if (max - min < 1e-12 * Math.Max(1, Math.Abs(max)))
        {
            double pad = min == 0 || integers ? 1 : Math.Abs(min) * 0.1;
            min -= pad;
            max += pad;
        }
        double range = Nice(max - min, round: false);
        double step = Nice(range / (maxTicks - 1), round: true);
        if (integers) step = Math.Max(1, step);
        double lo = Math.Floor(min / step + 1e-9) * step;
        double hi = Math.Ceiling(max / step - 1e-9) * step;
        return new NiceScale(lo, hi, step);
    }

    /// <summary>A tick label: fixed decimals in the invariant culture, exponent notation for very large or small steps.</summary>
    public string Format(double value)
    {
        if (Step < 1e-4 || Math.Max(Math.Abs(Min), Math.Abs(Max)) >= 1e7)
            return value == 0 ? "0" : value.ToString("0.##E+0", CultureInfo.InvariantCulture);
        string text = value.ToString("F" + Decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return text.StartsWith('-') && text.Trim('-', '0', '.').Length == 0 ? text[1..] : text;   // no "-0.0"
    }

    /// <summary>Heckbert's nice number: 1, 2, 5 or 10 times a power of ten, rounded or the ceiling.</summary>
    private static double Nice(double x, bool round)
    {
        double exponent = Math.Floor(Math.Log10(x));
        double power = Math.Pow(10, exponent);
        double fraction = x / power;
        double nice = round
            ? fraction < 1.5 ? 1 : fraction < 3 ? 2 : fraction < 7 ? 5 : 10
            : fraction <= 1 + 1e-9 ? 1 : fraction <= 2 + 1e-9 ? 2 : fraction <= 5 + 1e-9 ? 5 : 10;
        return nice * power;
    }
}
