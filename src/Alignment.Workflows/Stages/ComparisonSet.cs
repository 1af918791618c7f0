using System.Text.Json.Nodes;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Workflows.Stages;

/// <summary>One comparison as listed in a comparisons artifact.</summary>
public sealed record ComparisonEntry(long Id, string Prompt, string ResponseA, string ResponseB, string? ModelA, string? ModelB);

/// <summary>
/// The content of a comparisons artifact: <c>{"project": name, "overlap": k, "comparisons": [{"id", "prompt",
/// "response_a", "response_b", "model_a", "model_b"}]}</c> — the project's regular comparisons in id order.
/// </summary>
public sealed record ComparisonSet(string Project, int Overlap, IReadOnlyList<ComparisonEntry> Comparisons)
{
    /// <summary>Reads the regular (non-gold) comparisons of a project from the database.</summary>
    public static ComparisonSet FromDatabase(AlignStore store, long projectId, string project, int overlap) => new(project, overlap,
        store.Read(connection => connection.Query<ComparisonEntry>(
            """
            SELECT c.id AS Id, p.text AS Prompt, ra.text AS ResponseA, rb.text AS ResponseB, ra.model AS ModelA, rb.model AS ModelB
            FROM comparisons c
            JOIN prompts p ON p.id = c.prompt_id
            JOIN responses ra ON ra.id = c.response_a_id
            JOIN responses rb ON rb.id = c.response_b_id
            WHERE c.project_id = @projectId AND c.is_gold = 0
            ORDER BY c.id
            """, new { projectId }).ToList()));

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
