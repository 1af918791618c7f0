using System.Text.Json.Nodes;
using Alignment.Data.ImportExport;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Store;

namespace Alignment.Workflows.Stages;

/// <summary>One annotator's active vote, in the A/B frame.</summary>
public sealed record SnapshotVote(string Annotator, string Outcome, int Strength);

/// <summary>A comparison with everything its label depends on.</summary>
public sealed record SnapshotRow(ComparisonEntry Comparison, IReadOnlyList<SnapshotVote> Votes, Vote? Adjudication);

/// <summary>
/// The content of a judgments artifact: JSONL, one row per comparison in id order,
/// <c>{"comparison", "prompt", "response_a", "response_b", "model_a", "model_b", "votes": [{"annotator", "outcome",
/// "strength"}], "adjudication": {"outcome", "strength"} | null}</c>; votes are the active
/// judgments sorted by annotator name, outcome and strength in the A/B frame (−3 = A much better). No times and no
/// left/right draws, so the same judgments always give the same bytes.
/// </summary>
public static class JudgmentSnapshot
{
    /// <summary>Reads the judgments on <paramref name="set"/>'s comparisons from the database.</summary>
    public static IReadOnlyList<SnapshotRow> Read(AlignStore store, ComparisonSet set)
    {
        var labels = new LabelQueries(store).Active(set.Comparisons.Select(c => c.Id).ToList());
        var votes = labels.Votes.ToLookup(v => v.ComparisonId);
        return set.Comparisons.Select(c => new SnapshotRow(c,
            votes[c.Id].Select(v => new SnapshotVote(v.Annotator, v.Outcome, v.Strength))
                .OrderBy(v => v.Annotator, StringComparer.Ordinal).ThenBy(v => v.Outcome, StringComparer.Ordinal).ThenBy(v => v.Strength).ToList(),
            labels.Adjudications.TryGetValue(c.Id, out var settled) ? settled : null)).ToList();
    }

    /// <summary>The JSONL object of one row.</summary>
    public static JsonObject ToJson(SnapshotRow row) => new()
    {
        ["comparison"] = row.Comparison.Id,
        ["prompt"] = row.Comparison.Prompt,
        ["response_a"] = row.Comparison.ResponseA,
        ["response_b"] = row.Comparison.ResponseB,
        ["model_a"] = row.Comparison.ModelA,
        ["model_b"] = row.Comparison.ModelB,
        ["votes"] = new JsonArray(row.Votes.Select(v => (JsonNode)new JsonObject
        {
            ["annotator"] = v.Annotator, ["outcome"] = v.Outcome, ["strength"] = v.Strength,
        }).ToArray()),
        ["adjudication"] = VoteJson(row.Adjudication),
    };

    /// <summary>Reads a judgments artifact file.</summary>
    public static IReadOnlyList<SnapshotRow> Load(string path) => JsonLines.Read(path, "judgments").Select(x =>
    {
        var o = x.Row;
        var comparison = new ComparisonEntry(o["comparison"]!.GetValue<long>(), (string)o["prompt"]!, (string)o["response_a"]!,
            (string)o["response_b"]!, (string?)o["model_a"], (string?)o["model_b"]);
        var votes = (o["votes"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(v => new SnapshotVote((string)v["annotator"]!, (string)v["outcome"]!, (int)v["strength"]!)).ToList();
        return new SnapshotRow(comparison, votes, ParseVote(o["adjudication"]));
    }).ToList();

    private static JsonNode? VoteJson(Vote? vote) => vote is { } v
        ? new JsonObject { ["outcome"] = v.Outcome.ToCode(), ["strength"] = v.Strength }
        : null;

    private static Vote? ParseVote(JsonNode? node) => node is JsonObject o
        ? new Vote(OutcomeCodes.Parse((string)o["outcome"]!), (int)o["strength"]!)
        : null;
}
