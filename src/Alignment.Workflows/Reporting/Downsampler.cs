namespace Alignment.Workflows.Reporting;

/// <summary>
/// Thins a long series for drawing without hiding spikes: the first and last points, and from each of equal-count
/// buckets of the points between them, the lowest and the highest point (in their original order).
/// </summary>
public static class Downsampler
{
    /// <summary>At most <paramref name="maxPoints"/> (≥ 4) points of <paramref name="points"/>; the input itself when it is short enough.</summary>
    public static IReadOnlyList<(double X, double Y)> MinMax(IReadOnlyList<(double X, double Y)> points, int maxPoints)
    {
        if (maxPoints < 4) throw new ArgumentOutOfRangeException(nameof(maxPoints), "keep at least 4 points");
        if (points.Count <= maxPoints) return points;
        int interior = points.Count - 2, buckets = (maxPoints - 2) / 2;
        var kept = new List<(double X, double Y)>(maxPoints) { points[0] };
        for (int b = 0; b < buckets; b++)
        {
            int start = 1 + (int)((long)b * interior / buckets), end = 1 + (int)((long)(b + 1) * interior / buckets);
            int lo = start, hi = start;
            for (int i = start + 1; i < end; i++)
            {
                if (points[i].Y < points[lo].Y) lo = i;
                if (points[i].Y > points[hi].Y) hi = i;
            }
            kept.Add(points[Math.Min(lo, hi)]);
            if (lo != hi) kept.Add(points[Math.Max(lo, hi)]);
        }
        kept.Add(points[^1]);
        return kept;
    }
}
