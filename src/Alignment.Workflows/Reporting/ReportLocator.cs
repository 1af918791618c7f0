using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Reporting;

/// <summary>An evaluation report in the store: the stage that wrote it, where it lies and its headline numbers.</summary>
/// <param name="Stage">The Evaluate activity's id in its workflow.</param>
/// <param name="Iteration">Which run of that activity in the instance (above 1 inside loops).</param>
/// <param name="Artifact">The report artifact's hash.</param>
/// <param name="Folder">The report folder (<c>&lt;home&gt;/artifacts/&lt;hash&gt;</c>).</param>
/// <param name="ExistsOnDisk">False when the folder was deleted.</param>
/// <param name="Summary">report.json (empty when it cannot be read).</param>
public sealed record ReportEntry(string Stage, int Iteration, string Artifact, string Folder, bool ExistsOnDisk, JsonObject Summary)
{
    /// <summary>The report's markdown file.</summary>
    public string Markdown => Path.Combine(Folder, "report.md");
}

/// <summary>The evaluation reports of one workflow instance.</summary>
public sealed record ReportListing(string Instance, IReadOnlyList<ReportEntry> Reports);

/// <summary>
/// Finds evaluation reports for <c>align report ID</c>: ID is a workflow instance id (every report its Evaluate stages
/// wrote, in run order) or a report artifact's hash or unique prefix. Unknown, ambiguous and unfit ids are
/// <see cref="WorkflowNotFoundException"/>s with a message that says what to do.
/// </summary>
public static class ReportLocator
{
    public static ReportListing Find(WorkflowEngine engine, string id)
    {
        string? instance = null, artifact = null;
        var misses = new List<string>();
        try { instance = engine.Repository.ResolveId(id); }
        catch (WorkflowNotFoundException e) { misses.Add(e.Message); }
        try { artifact = engine.Artifacts.Get(id).Hash; }
        catch (WorkflowNotFoundException e) { misses.Add(e.Message); }

        if (instance is not null && artifact is not null)
            throw new WorkflowNotFoundException($"'{id}' is both workflow instance {instance} and the start of artifact {artifact}; give the full instance id or more digits of the hash");
        if (instance is not null) return ForInstance(engine, instance);
        if (artifact is not null) return ForArtifact(engine, artifact);
        throw new WorkflowNotFoundException(misses.FirstOrDefault(m => m.Contains("ambiguous", StringComparison.Ordinal))
            ?? $"no workflow instance or report artifact '{id}' (see `align status` for instances, `align artifacts list` for artifacts)");
    }

    private static ReportListing ForInstance(WorkflowEngine engine, string instance)
    {
        var reports = engine.Repository.Executions(instance)
            .Where(e => e.ActivityType == EvaluateActivity.TypeName && e.Status.HasOutputs())
            .Select(e => (e, hash: e.Outputs?["report"] is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null))
            .Where(x => x.hash is not null)
            .Select(x => Entry(engine.Artifacts, x.e.ActivityId, x.e.Iteration, x.hash!))
            .ToList();
        if (reports.Count == 0)
        {
            var info = engine.Repository.Get(instance);
            throw new WorkflowNotFoundException(
                $"instance {instance} ({info.DefinitionName ?? info.DefinitionId}, {info.Status.ToString().ToLowerInvariant()}) has no evaluation report yet: " +
                "no Alignment.Evaluate stage of it has completed");
        }
        return new ReportListing(instance, reports);
    }

    private static ReportListing ForArtifact(WorkflowEngine engine, string hash)
    {
        var record = engine.Artifacts.Find(hash)!;
        if (record.Kind != ArtifactKind.Report || !record.IsFolder || record.Provenance.Producer?.StageType != EvaluateActivity.TypeName)
            throw new WorkflowNotFoundException(
                $"artifact {hash[..12]} is a {record.Kind.ToCode()} {(record.IsFolder ? "folder" : "file")} by {record.Provenance.Producer?.StageType ?? "hand"}, " +
                "not an evaluation report (the report output of an Alignment.Evaluate stage)");
        var producer = record.Provenance.Producer!;
        int iteration = engine.Repository.Executions(producer.InstanceId)
            .FirstOrDefault(e => e.ActivityId == producer.ActivityId && e.Outputs?["report"]?.ToString() == hash)?.Iteration ?? 1;
        return new ReportListing(producer.InstanceId, [Entry(engine.Artifacts, producer.ActivityId, iteration, hash)]);
    }

    private static ReportEntry Entry(ArtifactStore store, string stage, int iteration, string hash)
    {
        string folder = store.PathOf(hash), json = Path.Combine(folder, "report.json");
        JsonObject summary = [];
        try
        {
            if (File.Exists(json)) summary = JsonNode.Parse(File.ReadAllText(json)) as JsonObject ?? [];
        }
        catch (JsonException) { }   // shown without numbers; the path is still right
        return new ReportEntry(stage, iteration, hash, folder, store.ExistsOnDisk(hash), summary);
    }
}
