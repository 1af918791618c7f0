using System.Text.Json.Nodes;

namespace Alignment.Workflows.Artifacts;

/// <summary>The stage run that first produced an artifact.</summary>
/// <param name="InstanceId">The workflow instance.</param>
/// <param name="ActivityId">The activity in that instance's definition.</param>
/// <param name="StageType">The activity type (e.g. Alignment.ImportDataset).</param>
/// <param name="StageVersion">The activity type version.</param>
public sealed record ArtifactProducer(string InstanceId, string ActivityId, string StageType, int StageVersion);

/// <summary>An input artifact of a stage run that produced another artifact.</summary>
/// <param name="Name">The input's name on the producing activity.</param>
/// <param name="Hash">The input artifact.</param>
public sealed record ArtifactInput(string Name, string Hash);

/// <summary>What produced an artifact, from what, with which parameters (recorded when it enters the store).</summary>
/// <param name="Producer">The producing stage run, or null for artifacts added by hand.</param>
/// <param name="OutputName">The producing activity's output that holds it.</param>
/// <param name="Parameters">The stage's resolved non-artifact inputs.</param>
/// <param name="Inputs">The stage's input artifacts (lineage).</param>
public sealed record ArtifactProvenance(ArtifactProducer? Producer, string? OutputName, JsonObject Parameters, IReadOnlyList<ArtifactInput> Inputs);

/// <summary>An artifact in the store.</summary>
/// <param name="Hash">sha256 of its content (a folder's: of its manifest).</param>
/// <param name="Kind">What it holds.</param>
/// <param name="IsFolder">Folder or single file.</param>
/// <param name="SizeBytes">Total bytes of its files.</param>
/// <param name="Provenance">Producer, parameters and inputs.</param>
/// <param name="CreatedAt">When it entered the store.</param>
/// <param name="Path">Where it lies: <c>&lt;home&gt;/artifacts/&lt;hash&gt;</c>.</param>
/// <param name="ExistsOnDisk">False when the file or folder was deleted (the next run recomputes it).</param>
public sealed record ArtifactRecord(
    string Hash, ArtifactKind Kind, bool IsFolder, long SizeBytes, ArtifactProvenance Provenance, DateTimeOffset CreatedAt,
    string Path, bool ExistsOnDisk);

/// <summary>One step of a lineage walk: the artifact and how far upstream of the start it is (0 = the start).</summary>
public sealed record LineageEntry(int Depth, string? ViaInput, ArtifactRecord Artifact);
