using System.Text.Json.Nodes;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// One trainer stage run upstream of an evaluated model and its logged metrics (the <c>metrics</c> artifact: one JSON
/// object per logged step, TRL names; a value that was NaN or infinite is stored as null).
/// </summary>
/// <param name="Activity">The trainer's activity id in its workflow (e.g. <c>sft</c>, <c>dpo</c>).</param>
/// <param name="StageType">The activity type (e.g. <c>Alignment.Dpo</c>).</param>
/// <param name="MetricsHash">The metrics artifact.</param>
/// <param name="Records">The metrics lines in file order.</param>
public sealed record TrainingRun(string Activity, string StageType, string MetricsHash, IReadOnlyList<JsonObject> Records)
{
    /// <summary>Reads a metrics.jsonl file; a malformed line is an error naming the file and line.</summary>
    public static TrainingRun Read(string activity, string stageType, string metricsHash, string path) =>
        new(activity, stageType, metricsHash, JsonLines.Read(path, $"metrics {metricsHash[..Math.Min(12, metricsHash.Length)]}").Select(r => r.Row).ToList());

    /// <summary>Whether any line logs <paramref name="key"/> (with a value or null).</summary>
    public bool Has(string key) => Records.Any(r => r.ContainsKey(key));

    /// <summary>
    /// The points (step, value) of <paramref name="key"/> from the lines that log it; x is the line's <c>step</c>
    /// (its 1-based line number when absent), y is NaN where the value is null or not a number.
    /// </summary>
    public ChartSeries Series(string key, string? name = null)
    {
        var points = new List<(double X, double Y)>();
        for (int i = 0; i < Records.Count; i++)
        {
            if (!Records[i].TryGetPropertyValue(key, out var value)) continue;
            double x = JsonNumber.Of(Records[i]["step"]) is { } step && double.IsFinite(step) ? step : i + 1;
            points.Add((x, JsonNumber.OrNaN(value)));
        }
        return new ChartSeries(name ?? key, points);
    }
}
