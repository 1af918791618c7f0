using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Workflows.Evaluation;

namespace Alignment.Workflows.Reporting;

/// <summary>Reads an evaluation report folder's report.json: the whole object, its per-metric changes and its regressions.</summary>
public static class ReportFile
{
    /// <summary>report.json of <paramref name="folder"/>, or null when it is missing or not a JSON object.</summary>
    public static JsonObject? Read(string folder)
    {
        string path = Path.Combine(folder, "report.json");
        if (!File.Exists(path)) return null;
        try { return JsonNode.Parse(File.ReadAllText(path)) as JsonObject; }
        catch (JsonException) { return null; }
    }

    /// <summary>Every rule and metric the report compared (empty for a report made before changes were recorded).</summary>
    public static IReadOnlyList<MetricChange> Changes(string folder) => Read(folder) is { } json ? MetricChange.ListFrom(json) : [];

    /// <summary>The changes whose 95% interval lies wholly on the worse side.</summary>
    public static IReadOnlyList<MetricChange> Regressions(string folder) => Changes(folder).Where(c => c.Verdict == ChangeVerdict.Regression).ToList();
}
