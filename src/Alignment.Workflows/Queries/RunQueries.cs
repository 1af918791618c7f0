using System.Globalization;
using System.Text.Json.Nodes;
using Alignment.Data.Labeling;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Stages;
using Dapper;

namespace Alignment.Workflows.Queries;

/// <summary>
/// Read-only views of workflow instances for the runs dashboard: the list with each run's current stage and progress,
/// one run's stages (with live training progress, the labeling project a stage waits on, reports), its metric curves
/// (from a training stage's run folder while it trains, from its metrics artifact afterwards) and its artifact lineage.
/// </summary>
public sealed class RunQueries(WorkflowEngine engine, StageProgressBoard? board = null)
{
    /// <summary>The type of the evaluation activity whose report artifacts the dashboard renders.</summary>
    public const string EvaluateType = "Alignment.Evaluate";

    private InstanceRepository Repository => engine.Repository;
    private ArtifactStore Artifacts => engine.Artifacts;
    private DateTimeOffset Now => engine.Db.Clock.GetUtcNow();

    /// <summary>Every instance, newest first.</summary>
    public IReadOnlyList<RunSummary> List()
    {
        var instances = Repository.List();
        var executions = Repository.ExecutionStatuses().ToLookup(e => e.InstanceId);
        var totals = Repository.DefinitionJsons().ToDictionary(r => r.Key, r => ActivityCount(r.Value));
        return instances.Select(i =>
        {
            var rows = executions[i.Id].Select(e => (e.ActivityId, e.ActivityName, e.Status)).ToList();
            return Summarize(i, rows, totals.GetValueOrDefault(i.Id));
        }).ToList();
    }

    /// <summary>One instance's list row; throws <see cref="WorkflowNotFoundException"/> for an unknown id.</summary>
    public RunSummary Summary(string id)
    {
        var info = Repository.Get(id);
        var rows = Repository.Executions(id).Select(e => (e.ActivityId, e.ActivityName, e.Status)).ToList();
        return Summarize(info, rows, ActivityCount(Repository.LoadRuntime(id).DefinitionJson));
    }

    /// <summary>An instance with all its stages and inputs; throws <see cref="WorkflowNotFoundException"/> for an unknown id.</summary>
    public RunDetail Detail(string id)
    {
        var info = Repository.Get(id);
        var (definitionJson, _, _, _) = Repository.LoadRuntime(id);
        var definition = DefinitionSerializer.Parse(definitionJson, $"instance {id}");
        var executions = Repository.Executions(id);
        var bookmarks = Repository.Bookmarks(id).ToDictionary(b => b.ActivityId);

        var stages = executions.Select(e => Stage(id, e, bookmarks.GetValueOrDefault(e.ActivityId))).ToList();
        var ran = executions.Select(e => e.ActivityId).ToHashSet(StringComparer.Ordinal);
        foreach (var node in definition.Activities.Where(a => a.Id is not null && !ran.Contains(a.Id)))
            stages.Add(new StageView(null, node.Id!, node.Name, node.Type ?? "?", 1, StageStatus.Pending, null, null, null, null, null, false,
                false, null, null, null));

        var inputs = definition.Inputs.Select(d => info.Inputs.TryGetPropertyValue(d.Name, out var given)
                ? new RunInput(d.Name, Text(given), true)
                : new RunInput(d.Name, Text(d.DefaultValue), false))
            .Concat(info.Inputs.Where(g => definition.Inputs.All(d => d.Name != g.Key)).Select(g => new RunInput(g.Key, Text(g.Value), true)))
            .ToList();
        var summary = Summarize(info, executions.Select(e => (e.ActivityId, e.ActivityName, e.Status)).ToList(), definition.Activities.Count);
        return new RunDetail(summary, info.DefinitionPath, inputs, stages);
    }

    /// <summary>One execution of an instance by activity id and iteration (the latest when <paramref name="iteration"/> is null).</summary>
    public ExecutionInfo Execution(string id, string activityId, int? iteration)
    {
        var matches = Repository.Executions(Repository.Get(id).Id).Where(e => e.ActivityId == activityId).ToList();
        return (iteration is int n ? matches.LastOrDefault(e => e.Iteration == n) : matches.LastOrDefault())
               ?? throw new WorkflowNotFoundException(
                   $"instance {id} has no run of stage '{activityId}'{(iteration is int k ? $" iteration {k}" : "")}");
    }

    /// <summary>The stage log of one execution.</summary>
    public string Log(string id, string activityId, int? iteration) => Execution(id, activityId, iteration).Log;

    /// <summary>
    /// Metric rows of a training stage after the first <paramref name="after"/>: from its run folder while it trains
    /// (a half-written last line is left for the next call), from its metrics artifact once stored. <c>Running</c> is
    /// true while more rows may come.
    /// </summary>
    public StageMetrics Metrics(string id, string activityId, int? iteration, int after)
    {
        var execution = Execution(id, activityId, iteration);
        if (!IsTrainer(execution))
            throw new WorkflowException($"stage '{activityId}' ({execution.ActivityType}) is not a training stage; it has no metrics");
        bool running = execution.Status == ExecutionStatus.Running && execution.FinishedAt is null;
        string? path = null;
        int? totalSteps = null;
        if (execution.Outputs?["metrics"] is JsonValue hashValue && hashValue.TryGetValue(out string? hash) && Artifacts.Find(hash) is { ExistsOnDisk: true } stored)
        {
            path = stored.Path;
            running = false;
        }
        else if (running && StageRunFolders.Find(Artifacts, id, activityId, execution.Iteration) is { } folder)
        {
            path = Path.Combine(folder.Path, Training.Runtime.RunSession.MetricsFile);
            totalSteps = folder.TotalSteps;
        }
        var page = path is null ? new MetricsPage(after, [], after) : MetricsTail.Read(path, after);
        return new StageMetrics(activityId, execution.Iteration, Status(execution.Status), running, totalSteps, page.Rows, page.Next);
    }

    /// <summary>The artifacts of a run (outputs of its stages) and everything upstream of them, with their edges.</summary>
    public LineageGraph Lineage(string id)
    {
        var executions = Repository.Executions(Repository.Get(id).Id);
        var producedHere = new Dictionary<string, (string Activity, string Output)>(StringComparer.Ordinal);
        foreach (var e in executions.Where(e => e.Status.HasOutputs() && e.Outputs is not null))
            foreach (var (name, value) in e.Outputs!)
                if (value is JsonValue v && v.TryGetValue(out string? text) && IsHash(text))
                    producedHere.TryAdd(text, (e.ActivityId, name));

        var records = new Dictionary<string, ArtifactRecord>(StringComparer.Ordinal);
        var pending = new Queue<string>(producedHere.Keys);
        while (pending.TryDequeue(out var hash))
        {
            if (records.ContainsKey(hash) || Artifacts.Find(hash) is not { } record) continue;
            records[hash] = record;
            foreach (var input in record.Provenance.Inputs) pending.Enqueue(input.Hash);
        }

        var nodes = records.Values.Select(r => producedHere.TryGetValue(r.Hash, out var here)
                ? new LineageNode(r.Hash, r.Kind, here.Activity, here.Output, r.SizeBytes, true, r.ExistsOnDisk)
                : new LineageNode(r.Hash, r.Kind, r.Provenance.Producer?.ActivityId, r.Provenance.OutputName, r.SizeBytes, false, r.ExistsOnDisk))
            .OrderBy(n => n.Hash, StringComparer.Ordinal).ToList();
        var edges = records.Values.SelectMany(r => r.Provenance.Inputs.Where(i => records.ContainsKey(i.Hash)).Select(i => new LineageEdge(i.Hash, r.Hash, i.Name)))
            .OrderBy(e => e.To, StringComparer.Ordinal).ThenBy(e => e.InputName, StringComparer.Ordinal).ThenBy(e => e.From, StringComparer.Ordinal).ToList();
        return new LineageGraph(nodes, edges);
    }

    /// <summary>The report artifacts of a run's Evaluate stages, in execution order.</summary>
    public IReadOnlyList<ReportLink> Reports(string id) =>
        Repository.Executions(Repository.Get(id).Id)
            .Where(e => e.ActivityType == EvaluateType && e.Status.HasOutputs() && e.Outputs?["report"] is JsonValue)
            .Select(e => new ReportLink(e.ActivityId, (e.ActivityName ?? e.ActivityId) + (e.Iteration > 1 ? $" (round {e.Iteration})" : ""), (string)e.Outputs!["report"]!))
            .ToList();

    /// <summary>Whether <paramref name="artifact"/> is a report artifact of one of the run's Evaluate stages.</summary>
    public ReportLink Report(string id, string artifact) =>
        Reports(id).FirstOrDefault(r => r.Artifact == artifact)
        ?? throw new WorkflowNotFoundException($"artifact '{artifact}' is not an evaluation report of instance {id}");

    private StageView Stage(string instanceId, ExecutionInfo e, BookmarkInfo? bookmark)
    {
        var status = Status(e.Status);
        bool trainer = IsTrainer(e);
        string? progress = null;
        double? duration = e.DurationSeconds;
        if (status == StageStatus.Running)
        {
            duration = Math.Round((Now - e.StartedAt).TotalSeconds, 3);
            progress = board?.Latest(instanceId, e.ActivityId);
            if (progress is null && trainer && StageRunFolders.Find(Artifacts, instanceId, e.ActivityId, e.Iteration) is { } folder)
                progress = TrainingProgress(folder);
        }
        WaitingOnProject? waiting = null;
        if (status == StageStatus.Suspended && bookmark is not null)
        {
            progress = bookmark.Message;
            waiting = Waiting(bookmark);
        }
        string? report = e.ActivityType == EvaluateType && e.Outputs?["report"] is JsonValue r && r.TryGetValue(out string? hash) ? hash : null;
        bool hasMetrics = trainer && status != StageStatus.Pending && (status == StageStatus.Running || e.Outputs?["metrics"] is JsonValue);
        return new StageView(e.Id, e.ActivityId, e.ActivityName, e.ActivityType, e.Iteration, status, e.StartedAt, e.FinishedAt, duration,
            progress, e.Error, e.Log.Length > 0, hasMetrics, report, waiting, e.Outputs, e.Worker is null ? null : ProcessIdentity.Short(e.Worker));
    }

    private WaitingOnProject? Waiting(BookmarkInfo bookmark)
    {
        if (bookmark.Kind != CollectJudgmentsActivity.BookmarkKind) return null;
        string name = (string?)bookmark.Payload["project"] ?? "";
        long? projectId = bookmark.Payload["projectId"] is JsonValue v && v.TryGetValue(out long pid) ? pid : null;
        try
        {
            var project = projectId is long known ? new ProjectService(engine.Db).Get(known) : new ProjectService(engine.Db).GetByName(name);
            var progress = new QueueService(engine.Db).Progress(project.Id, 0);
            return new WaitingOnProject(project.Id, project.Name, progress.ActiveJudgments, progress.RequiredJudgments,
                progress.CompletedComparisons, progress.Comparisons, bookmark.Message);
        }
        catch (LabelingException)
        {
            return new WaitingOnProject(null, name, 0, 0, 0, 0, bookmark.Message);
        }
    }

    private static string TrainingProgress(RunFolder folder)
    {
        var rows = MetricsTail.Read(Path.Combine(folder.Path, Training.Runtime.RunSession.MetricsFile), 0).Rows;
        var last = rows.LastOrDefault();
        string steps = folder.TotalSteps is int total ? $"/{total}" : "";
        if (last is null) return folder.TotalSteps is null ? "preparing" : $"step 0{steps}";
        string step = last["step"]?.ToJsonString() ?? rows.Count.ToString(CultureInfo.InvariantCulture);
        string loss = last["loss"] is JsonValue l && l.TryGetValue(out double value) ? $" loss {value.ToString("G4", CultureInfo.InvariantCulture)}" : "";
        return $"step {step}{steps}{loss}";
    }

    private bool IsTrainer(ExecutionInfo e) =>
        engine.Registry.Find(e.ActivityType, e.ActivityVersion)?.Descriptor.FindOutput("metrics") is not null;

    private RunSummary Summarize(InstanceInfo info, IReadOnlyList<(string ActivityId, string? ActivityName, ExecutionStatus Status)> executions, int total)
    {
        bool stalled = info.Status == InstanceStatus.Running && !InstanceLease.IsHeld(engine.Db, info.Id);
        var end = info.FinishedAt ?? (info.Status == InstanceStatus.Running && !stalled ? Now : info.UpdatedAt);
        var current = executions.LastOrDefault(e => e.Status is ExecutionStatus.Running or ExecutionStatus.Suspended or ExecutionStatus.Faulted or ExecutionStatus.Interrupted);
        string? currentLabel = info.Status is InstanceStatus.Finished || current.ActivityId is null ? null
            : string.IsNullOrWhiteSpace(current.ActivityName) ? current.ActivityId : current.ActivityName;
        int done = executions.Where(e => e.Status.HasOutputs()).Select(e => e.ActivityId).Distinct().Count();
        return new RunSummary(info.Id, info.DefinitionId, info.DefinitionName ?? info.DefinitionId, info.DefinitionVersion, info.Status, stalled,
            info.CreatedAt, info.FinishedAt, Math.Max(0, Math.Round((end - info.CreatedAt).TotalSeconds, 3)), currentLabel, done, total, info.Error);
    }

    /// <summary>The dashboard status of an execution row's status.</summary>
    public static StageStatus Status(ExecutionStatus executionStatus) => executionStatus switch
    {
        ExecutionStatus.Running => StageStatus.Running,
        ExecutionStatus.Completed => StageStatus.Done,
        ExecutionStatus.Cached => StageStatus.Cached,
        ExecutionStatus.Suspended => StageStatus.Suspended,
        ExecutionStatus.Cancelled => StageStatus.Cancelled,
        ExecutionStatus.Faulted or ExecutionStatus.Interrupted => StageStatus.Failed,
        _ => throw new ArgumentOutOfRangeException(nameof(executionStatus), executionStatus, null),
    };

    private static int ActivityCount(string definitionJson)
    {
        try { return DefinitionSerializer.Parse(definitionJson).Activities.Count; }
        catch (WorkflowException) { return 0; }
    }

    private static bool IsHash(string text) => text.Length == 64 && text.All(char.IsAsciiHexDigitLower);

    private static string? Text(JsonNode? node) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => node.ToJsonString(),
    };
}

/// <summary>Metric rows of one training stage.</summary>
/// <param name="Stage">The activity id.</param>
/// <param name="Iteration">Which run of it.</param>
/// <param name="Status">The stage's status.</param>
/// <param name="Running">True while rows may still come (poll again).</param>
/// <param name="TotalSteps">Steps the trainer announced (while it trains), or null.</param>
/// <param name="Rows">Rows after the requested <c>after</c>.</param>
/// <param name="Next">The <c>after</c> of the next call.</param>
public sealed record StageMetrics(string Stage, int Iteration, StageStatus Status, bool Running, int? TotalSteps, IReadOnlyList<JsonObject> Rows, int Next);
