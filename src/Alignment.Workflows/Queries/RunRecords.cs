using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Queries;

/// <summary>One instance in the runs list.</summary>
/// <param name="Id">The instance id.</param>
/// <param name="DefinitionId">The definition's id.</param>
/// <param name="DefinitionName">The definition's name (its id when it has none).</param>
/// <param name="DefinitionVersion">The definition's version.</param>
/// <param name="Status">Where it stands.</param>
/// <param name="Stalled">Marked running but no live process holds its lease (crashed: <c>align resume</c> continues it).</param>
/// <param name="StartedAt">When it was created.</param>
/// <param name="FinishedAt">When it finished or was cancelled.</param>
/// <param name="DurationSeconds">From start to its end, or to now while it runs, or to its last change when it waits or failed.</param>
/// <param name="CurrentStage">The activity running, waiting or failed (name or id), or null.</param>
/// <param name="StagesDone">Activities of the definition that completed (or came from the cache) at least once.</param>
/// <param name="StagesTotal">Activities in the definition.</param>
/// <param name="Error">The instance's error when it faulted.</param>
public sealed record RunSummary(
    string Id, string DefinitionId, string DefinitionName, int DefinitionVersion, InstanceStatus Status, bool Stalled,
    DateTimeOffset StartedAt, DateTimeOffset? FinishedAt, double DurationSeconds, string? CurrentStage, int StagesDone, int StagesTotal,
    string? Error)
{
    /// <summary>Completed share of the definition's activities, 0..1.</summary>
    public double Fraction => StagesTotal == 0 ? 0 : Math.Min(1.0, (double)StagesDone / StagesTotal);

    /// <summary>Whether a dashboard should keep polling this run.</summary>
    public bool IsActive => Status == InstanceStatus.Running && !Stalled;
}

/// <summary>How a stage stands on the dashboard (JSON: lowercase names).</summary>
public enum StageStatus
{
    /// <summary>Not started yet in this instance.</summary>
    Pending,
    /// <summary>Running now.</summary>
    Running,
    /// <summary>Completed by running.</summary>
    Done,
    /// <summary>Completed from the stage cache.</summary>
    Cached,
    /// <summary>Failed (faulted), or stopped by a dead process (interrupted).</summary>
    Failed,
    /// <summary>Waiting on a bookmark (human judgments).</summary>
    Suspended,
    /// <summary>Stopped by a cancel.</summary>
    Cancelled,
}

/// <summary>A labeling project a suspended stage waits on, with its live progress.</summary>
/// <param name="ProjectId">The project (null when it is gone from the database).</param>
/// <param name="ProjectName">Its name.</param>
/// <param name="Judged">Active judgments so far.</param>
/// <param name="Needed">Judgments needed: comparisons × overlap k.</param>
/// <param name="ComparisonsComplete">Comparisons that have all their judgments.</param>
/// <param name="Comparisons">Comparisons in the project.</param>
/// <param name="Message">The bookmark's message.</param>
public sealed record WaitingOnProject(long? ProjectId, string ProjectName, long Judged, long Needed, long ComparisonsComplete, long Comparisons, string Message);

/// <summary>One stage of an instance: an execution row, or an activity of the definition that has not run yet.</summary>
/// <param name="ExecutionId">The execution row (null when pending).</param>
/// <param name="ActivityId">The activity id.</param>
/// <param name="ActivityName">Its display name (null when it has none).</param>
/// <param name="ActivityType">The activity type, e.g. <c>Alignment.Dpo</c>.</param>
/// <param name="Iteration">1 for the first run in the instance, higher inside loops.</param>
/// <param name="Status">Dashboard status.</param>
/// <param name="StartedAt">Start of the execution.</param>
/// <param name="FinishedAt">End of the execution.</param>
/// <param name="DurationSeconds">Finished − started; for a running stage, until now.</param>
/// <param name="Progress">The latest progress message (training step and loss, or the bookmark message), if known.</param>
/// <param name="Error">The error of a failed stage.</param>
/// <param name="HasLog">Whether the execution has a stored log.</param>
/// <param name="HasMetrics">A trainer stage: metric curves can be read (from the run folder while it trains, the metrics artifact after).</param>
/// <param name="ReportArtifact">The report artifact of an Evaluate stage.</param>
/// <param name="Waiting">The labeling project a suspended CollectJudgments stage waits on.</param>
/// <param name="Outputs">The stage's outputs (artifact hashes and values).</param>
/// <param name="Worker">The process that ran it, <c>host:pid</c> (an <c>align worker</c>, <c>align run</c> or <c>align serve</c>); null when
/// pending or recorded before processes were.</param>
public sealed record StageView(
    long? ExecutionId, string ActivityId, string? ActivityName, string ActivityType, int Iteration, StageStatus Status,
    DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, double? DurationSeconds, string? Progress, string? Error, bool HasLog,
    bool HasMetrics, string? ReportArtifact, WaitingOnProject? Waiting, JsonObject? Outputs, string? Worker = null)
{
    /// <summary>The name, or the id when there is none.</summary>
    public string Label => string.IsNullOrWhiteSpace(ActivityName) ? ActivityId : ActivityName;
}

/// <summary>An instance with every stage, the inputs it was started with and its reports.</summary>
/// <param name="Summary">The list row.</param>
/// <param name="DefinitionPath">The definition file it was started from.</param>
/// <param name="Inputs">The workflow inputs used: given values and the defaults of the others.</param>
/// <param name="Stages">Executions in order, then the activities not run yet.</param>
public sealed record RunDetail(RunSummary Summary, string? DefinitionPath, IReadOnlyList<RunInput> Inputs, IReadOnlyList<StageView> Stages);

/// <summary>A workflow input of a run.</summary>
/// <param name="Name">The input's name.</param>
/// <param name="Value">The value used (as text).</param>
/// <param name="Given">True when given at start (<c>--input</c>), false for the definition's default.</param>
public sealed record RunInput(string Name, string? Value, bool Given);

/// <summary>An artifact in a run's lineage graph.</summary>
/// <param name="Hash">Its sha256.</param>
/// <param name="Kind">What it holds.</param>
/// <param name="ActivityId">The stage that output it in this run, else its first producer (null for hand-added artifacts).</param>
/// <param name="OutputName">The output of that stage that holds it.</param>
/// <param name="SizeBytes">Total bytes.</param>
/// <param name="InRun">Output by a stage of this run (false: upstream of it, from another run).</param>
/// <param name="ExistsOnDisk">False when its content was deleted.</param>
public sealed record LineageNode(string Hash, ArtifactKind Kind, string? ActivityId, string? OutputName, long SizeBytes, bool InRun, bool ExistsOnDisk)
{
    /// <summary>The first 12 hex digits.</summary>
    public string ShortHash => Hash[..Math.Min(12, Hash.Length)];
}

/// <summary>An edge of the lineage graph: <paramref name="From"/> was input <paramref name="InputName"/> of the stage that made <paramref name="To"/>.</summary>
public sealed record LineageEdge(string From, string To, string InputName);

/// <summary>The artifacts of a run and everything upstream of them, with the edges of <c>artifact_inputs</c> between them.</summary>
public sealed record LineageGraph(IReadOnlyList<LineageNode> Nodes, IReadOnlyList<LineageEdge> Edges);

/// <summary>An Evaluate stage's report.</summary>
/// <param name="ActivityId">The Evaluate activity.</param>
/// <param name="Label">Its name or id (with the iteration inside loops).</param>
/// <param name="Artifact">The report artifact (a folder with report.md, report.json, answers.jsonl).</param>
public sealed record ReportLink(string ActivityId, string Label, string Artifact);
