using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Queries;

namespace Alignment.LabelingUi.Features.Runs;

/// <summary>GET /api/runs/{id}: the run with its stages, inputs and report links.</summary>
public sealed record RunResponse(RunDetail Run, IReadOnlyList<ReportLink> Reports);

/// <summary>An artifact input of a stage that made an artifact.</summary>
/// <param name="Name">The input's name on the producing activity.</param>
/// <param name="Hash">The input artifact.</param>
/// <param name="Kind">Its kind (null when it is no longer recorded).</param>
public sealed record ArtifactInputView(string Name, string Hash, string? Kind);

/// <summary>GET /api/artifacts/{hash}: an artifact's record, inputs, users and files.</summary>
/// <param name="Hash">sha256 of the content.</param>
/// <param name="Kind">dataset, model, adapter, reward-model, ref-logps, comparisons, judgments or report.</param>
/// <param name="IsFolder">Folder or single file.</param>
/// <param name="SizeBytes">Total bytes.</param>
/// <param name="Path">Where it lies in the home folder.</param>
/// <param name="CreatedAt">When it entered the store.</param>
/// <param name="ExistsOnDisk">False when its content was deleted.</param>
/// <param name="InstanceId">The run that first produced it.</param>
/// <param name="ActivityId">The stage that first produced it.</param>
/// <param name="StageType">That stage's type.</param>
/// <param name="OutputName">That stage's output holding it.</param>
/// <param name="Parameters">The producing stage's resolved parameters.</param>
/// <param name="Inputs">Its input artifacts (lineage).</param>
/// <param name="UsedBy">Artifacts that list it among their inputs.</param>
/// <param name="Files">Relative paths of its files (folders only).</param>
public sealed record ArtifactView(
    string Hash, string Kind, bool IsFolder, long SizeBytes, string Path, DateTimeOffset CreatedAt, bool ExistsOnDisk, string? InstanceId,
    string? ActivityId, string? StageType, string? OutputName, JsonObject Parameters, IReadOnlyList<ArtifactInputView> Inputs,
    IReadOnlyList<string> UsedBy, IReadOnlyList<string> Files)
{
    /// <summary>The most files listed for one folder.</summary>
    public const int MaxFiles = 500;

    /// <summary>The view of a stored artifact.</summary>
    public static ArtifactView From(ArtifactRecord record, ArtifactStore store)
    {
        var files = record.IsFolder && record.ExistsOnDisk
            ? Directory.EnumerateFiles(record.Path, "*", SearchOption.AllDirectories)
                .Select(f => System.IO.Path.GetRelativePath(record.Path, f).Replace(System.IO.Path.DirectorySeparatorChar, '/'))
                .Order(StringComparer.Ordinal).Take(MaxFiles).ToList()
            : [];
        var producer = record.Provenance.Producer;
        return new ArtifactView(record.Hash, record.Kind.ToCode(), record.IsFolder, record.SizeBytes, record.Path, record.CreatedAt,
            record.ExistsOnDisk, producer?.InstanceId, producer?.ActivityId, producer?.StageType, record.Provenance.OutputName,
            record.Provenance.Parameters, record.Provenance.Inputs.Select(i => new ArtifactInputView(i.Name, i.Hash, store.Find(i.Hash)?.Kind.ToCode())).ToList(),
            store.UsedBy(record.Hash), files);
    }
}
