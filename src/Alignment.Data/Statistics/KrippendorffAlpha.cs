namespace Alignment.Data.Statistics;

/// <summary>The level of measurement, which picks the difference function δ² of Krippendorff's α.</summary>
public enum MeasurementLevel
{
    /// <summary>δ² = 0 if equal, else 1.</summary>
    Nominal,
    /// <summary>δ²(c, k) = (Σ_{g from c to k} n_g − (n_c + n_k)/2)², from the pooled value frequencies.</summary>
    Ordinal,
    /// <summary>δ²(c, k) = (c − k)².</summary>
    Interval,
}

/// <summary>
/// Krippendorff's α (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): any number of coders,
/// missing values allowed. Built from the coincidence matrix: within each unit with m_u ≥ 2 values, every
/// ordered pair of values from different coders adds 1/(m_u − 1). α = 1 − (n − 1)·Σ o_ck δ²_ck / Σ n_c n_k δ²_ck.
/// Units with fewer than two values are not pairable and are ignored.
/// </summary>
public static class KrippendorffAlpha
{
    /// <summary>
    /// α from reliability data: <paramref name="data"/>[coder][unit], null where the coder gave no value.
    /// Returns NaN when there is no pairable unit or every pairable value is the same (α undefined).
    /// </summary>
    public static double Compute(IReadOnlyList<IReadOnlyList<double?>> data, MeasurementLevel level)
    {
        var unitCount = data.Count == 0 ? 0 : data.Max(row => row.Count);
        var units = new List<List<double>>();
        for (var u = 0; u < unitCount; u++)
        {
            var values = new List<double>();
            foreach (var coder in data)
                if (u < coder.Count && coder[u] is double value)
                    values.Add(value);
            units.Add(values);
        }
        return FromUnits(units, level);
    }

    /// <summary>α from the values of each unit (the coder identities do not matter to α).</summary>
    public static double FromUnits(IReadOnlyList<IReadOnlyList<double>> units, MeasurementLevel level)
    {
        var pairable = units.Where(u => u.Count >= 2).ToList();
        var values = pairable.SelectMany(u => u).Distinct().Order().ToArray();
        if (values.Length == 0)
            return double.NaN;
        var index = values.Select((v, i) => (v, i)).ToDictionary(x => x.v, x => x.i);
        var v = values.Length;
        var coincidences = new double[v, v];
        foreach (var unit in pairable)
        {
            var weight = 1.0 / (unit.Count - 1);
            for (var a = 0; a < unit.Count; a++)
            for (var b = 0; b < unit.Count; b++)
                if (a != b)
                    coincidences[index[unit[a]], index[unit[b]]] += weight;
        }
        var marginals = new double[v];
        for (var c = 0; c < v; c++)
        for (var k = 0; k < v; k++)
            marginals[c] += coincidences[c, k];
        var n = marginals.Sum();

        double observed = 0, expected = 0;
        for (var c = 0; c < v; c++)
        for (var k = 0; k < v; k++)
        {
            if (c == k) continue;
            var delta = Delta(level, values, marginals, c, k);
            observed += coincidences[c, k] * delta;
            expected += marginals[c] * marginals[k] * delta;
        }
        return expected == 0 ? double.NaN : 1 - (n - 1) * observed / expected;
    }

    private static double Delta(MeasurementLevel level, double[] values, double[] marginals, int c, int k) => level switch
    {
        MeasurementLevel.Nominal => 1,
        MeasurementLevel.Interval => (values[c] - values[k]) * (values[c] - values[k]),
        MeasurementLevel.Ordinal => OrdinalDelta(marginals, c, k),
        _ => throw new ArgumentOutOfRangeException(nameof(level), level, null),
    };

    private static double OrdinalDelta(double[] marginals, int c, int k)
    {
        var (low, high) = c < k ? (c, k) : (k, c);
        var sum = 0.0;
        for (var g = low; g <= high; g++)
            sum += marginals[g];
        var d = sum - (marginals[c] + marginals[k]) / 2;
        return d * d;
    }
}
