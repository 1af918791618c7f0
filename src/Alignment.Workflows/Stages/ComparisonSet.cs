using System.Text.Json.Nodes;
using Alignment.Data.Labeling;
using Alignment.Data.Store;

namespace Alignment.Workflows.Stages;

/// <summary>
/// The content of a comparisons artifact: <c>{"project": name, "overlap": k, "comparisons": [{"id", "prompt",
/// "response_a", "response_b", "model_a", "model_b"}]}</c> — the project's regular comparisons in id order.
/// </summary>
public sealed record ComparisonSet(string Project, int Overlap, IReadOnlyList<ComparisonEntry> Comparisons)
{
    /// <summary>Reads the regular (non-gold) comparisons of a project from the database.</summary>
    public static ComparisonSet FromDatabase(AlignStore store, long projectId, string project, int overlap) =>
        new(project, overlap, new LabelQueries(store).RegularComparisons(projectId));

    public JsonObject ToJson() => new()
    {
        ["project"] = Project,
        ["overlap"] = Overlap,
        ["comparisons"] = new JsonArray(Comparisons.Select(c => (JsonNode)new JsonObject
        {
            ["id"] = c.Id,
            ["prompt"] = c.Prompt,
            ["response_a"] = c.ResponseA,
            ["response_b"] = c.ResponseB,
            ["model_a"] = c.ModelA,
            ["model_b"] = c.ModelB,
        }).ToArray()),
    };

    /// <summary>Reads a comparisons artifact file.</summary>
    public static ComparisonSet Load(string path)
    {
        var json = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new WorkflowException($"{path}: not a comparisons artifact");
        var comparisons = (json["comparisons"] as JsonArray ?? []).OfType<JsonObject>().Select(c => new ComparisonEntry(
            c["id"]!.GetValue<long>(), (string)c["prompt"]!, (string)c["response_a"]!, (string)c["response_b"]!,
            (string?)c["model_a"], (string?)c["model_b"])).ToList();
        return new ComparisonSet((string?)json["project"] ?? throw new WorkflowException($"{path}: no project name"),
            (int?)json["overlap"] ?? 1, comparisons);
    }
}
