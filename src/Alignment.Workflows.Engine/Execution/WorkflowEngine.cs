using System.Text.Json.Nodes;
using Alignment.Data;
using Alignment.Data.Store;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution.Jobs;
using Alignment.Workflows.Validation;
using Dapper;

namespace Alignment.Workflows.Execution;

/// <summary>Settings of a <see cref="WorkflowEngine"/>.</summary>
public sealed record WorkflowEngineOptions
{
    /// <summary>Lease owner written on instances this engine runs (default: this process).</summary>
    public string Owner { get; init; } = ProcessIdentity.Current;
    /// <summary>How long a lease lasts without renewal.</summary>
    public TimeSpan LeaseDuration { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How often the lease is renewed and a cancel request is looked for.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>Receives progress events.</summary>
    public IWorkflowObserver Observer { get; init; } = NullObserver.Instance;
    /// <summary>
    /// With <c>align worker</c>: how long a stage job of a worker that stopped answering stays with it before another
    /// worker takes it over (Hangfire's invisibility timeout; a live worker keeps refreshing its jobs).
    /// </summary>
    public TimeSpan TakeoverAfter { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>The store holding the engine's tables (<c>sqlite:PATH</c> or <c>postgresql://…</c>); null: <c>ALIGN_STORE</c>, else the home's <c>align.db</c>.</summary>
    public string? Store { get; init; }
}

/// <summary>
/// The workflow engine's entry point: validates and starts definitions, resumes, cancels and reports instances.
/// State lives in <c>&lt;home&gt;/align.db</c> (tables of the engine's migration 0001) and artifacts in <c>&lt;home&gt;/artifacts</c>.
/// </summary>
public sealed class WorkflowEngine
{
    public WorkflowEngine(string home, ActivityRegistry registry, WorkflowEngineOptions? options = null, TimeProvider? clock = null)
    {
        Home = AlignHome.Resolve(home);
        Options = options ?? new WorkflowEngineOptions();
        Db = EngineMigrations.Ensure(AlignStore.OpenHome(Home, clock, Options.Store));
        Artifacts = new ArtifactStore(Db, Home);
        Repository = new InstanceRepository(Db);
        Registry = registry;
    }

    public string Home { get; }
    public AlignStore Db { get; }
    public ArtifactStore Artifacts { get; }
    public InstanceRepository Repository { get; }
    public ActivityRegistry Registry { get; }
    public WorkflowEngineOptions Options { get; }

    private StageJobQueue? _jobs;

    /// <summary>The job engine that hands stages to <c>align worker</c> processes (PostgreSQL stores only; made on first use).</summary>
    public StageJobQueue Jobs => _jobs ??= new StageJobQueue(Db, Options.TakeoverAfter);

    /// <summary>Every validation error of a definition (checked against this engine's registry and artifact store).</summary>
    public IReadOnlyList<ValidationError> Validate(WorkflowDefinition definition) => new WorkflowValidator(Registry, Artifacts).Validate(definition);

    /// <summary>Validation warnings of a definition (it may run; see <see cref="WorkflowValidator.Warnings"/>).</summary>
    public IReadOnlyList<ValidationError> Warnings(WorkflowDefinition definition) => new WorkflowValidator(Registry, Artifacts).Warnings(definition);

    /// <summary>
    /// Reads, validates and creates an instance of the definition at <paramref name="path"/> with the given input values
    /// (name → text); nothing is written when the file is malformed or invalid or an input is unknown or missing. The
    /// instance is leased to this engine: call <see cref="RunAsync"/> next. The optional <paramref name="maxSteps"/> is a
    /// step budget for this instance that replaces the definition's <c>customProperties.maxSteps</c> (it is stored with
    /// the instance's copy of the definition, so a resume keeps it).
    /// </summary>
    public string Start(string path, IReadOnlyDictionary<string, string> inputs, bool force = false, int? maxSteps = null)
    {
        var full = Path.GetFullPath(path);
        var definition = DefinitionSerializer.Load(full);
        if (maxSteps is { } budget)
        {
            if (budget < 1) throw new WorkflowException($"--max-steps must be at least 1, got {budget}");
            definition.MaxSteps = budget;
        }
        return Start(definition, path, full, Path.GetDirectoryName(full)!, inputs, force);
    }

    /// <summary>
    /// Validates and creates an instance of a definition held in memory (e.g. a version stored in the database):
    /// <paramref name="source"/> names it in errors, <paramref name="definitionPath"/> (may be null) is recorded for display,
    /// and relative file paths in its Literal inputs resolve against <paramref name="baseDir"/>. Same checks and lease as
    /// <see cref="Start(string, IReadOnlyDictionary{string, string}, bool, int?)"/>.
    /// </summary>
    public string Start(WorkflowDefinition definition, string source, string? definitionPath, string baseDir,
        IReadOnlyDictionary<string, string> inputs, bool force = false)
    {
        new WorkflowValidator(Registry, Artifacts).ValidateOrThrow(definition, source);
        var declared = definition.Inputs.ToDictionary(i => i.Name);
        foreach (var name in inputs.Keys.Where(k => !declared.ContainsKey(k)))
            throw new WorkflowException($"--input {name}: the workflow declares no input '{name}' (declared: {(declared.Count == 0 ? "none" : string.Join(", ", declared.Keys))})");
        var missing = definition.Inputs.Where(i => i.DefaultValue is null && !inputs.ContainsKey(i.Name)).Select(i => i.Name).ToList();
        if (missing.Count > 0)
            throw new WorkflowException($"workflow input{(missing.Count == 1 ? "" : "s")} without a value: {string.Join(", ", missing)}; pass --input NAME=VALUE");

        var state = new InstanceState { Queue = new FlowGraph(definition).StartActivities.ToList() };
        foreach (var variable in definition.Variables)
            state.Variables[variable.Name] = InitialValue(variable);
        var given = new JsonObject(inputs.Select(i => KeyValuePair.Create(i.Key, (JsonNode?)JsonValue.Create(i.Value))));
        var definitionId = definition.DefinitionId ?? Path.GetFileNameWithoutExtension(definitionPath ?? source);
        return Repository.Create(definitionId, definition.Version, definition.Name,
            definition.Json.ToJsonString(), definitionPath, Path.GetFullPath(baseDir), Directory.GetCurrentDirectory(), given, force, state,
            Options.Owner, Db.Clock.GetUtcNow() + Options.LeaseDuration);
    }

    /// <summary>
    /// Runs an instance until it finishes, suspends, faults or is cancelled. Takes the lease first (a live lease held
    /// by another process is an error; a dead process's lease is taken over), renews it on a heartbeat that also
    /// watches for <c>align cancel</c>, and gives it back at the end.
    /// </summary>
    public async Task<RunResult> RunAsync(string instanceId, CancellationToken cancellation = default)
    {
        if (Repository.LoadRuntime(instanceId).State.Workers)
            throw new WorkflowStateException($"instance {instanceId} runs on `align worker` processes; `align resume {instanceId}` hands its stages to them again");
        SweepStaleTemps();
        var lease = InstanceLease.Acquire(Db, instanceId, Options.Owner, Options.LeaseDuration);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        using var heartbeat = new Timer(_ =>
        {
            try
            {
                if (!lease.Renew() || lease.CancelRequested()) stop.Cancel();
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // A busy database delays one heartbeat; the lease lasts many.
            }
        }, null, Options.Heartbeat, Options.Heartbeat);
        try
        {
            return await new WorkflowRunner(this, instanceId, lease, Options.Observer).RunAsync(stop.Token);
        }
        finally
        {
            await heartbeat.DisposeAsync();
            if (!lease.Lost) lease.Release();
        }
    }

    /// <summary>
    /// Hands an instance's stages to <c>align worker</c> processes (through <see cref="Jobs"/>; a fork's branches run at
    /// once on free workers) and waits until it finishes, suspends, faults or is cancelled, reporting each execution
    /// that ends (with the worker that ran it) to the observer. The instance keeps running on the workers when this
    /// process stops waiting.
    /// </summary>
    public async Task<RunResult> RunOnWorkersAsync(string instanceId, CancellationToken cancellation = default)
    {
        new WorkerDispatch(this).Submit(instanceId);
        var reported = new HashSet<long>();
        while (true)
        {
            foreach (var e in Repository.Executions(instanceId).Where(e => e.FinishedAt is not null && reported.Add(e.Id)))
            {
                string worker = $"worker {(e.Worker is null ? "unknown" : ProcessIdentity.Short(e.Worker))}";
                var (kind, message) = e.Status switch
                {
                    ExecutionStatus.Completed => (WorkflowEventKind.Completed, $"on {worker}"),
                    ExecutionStatus.Cached => (WorkflowEventKind.Cached, $"from the cache, on {worker}"),
                    ExecutionStatus.Cancelled => (WorkflowEventKind.Cancelled, $"on {worker}"),
                    ExecutionStatus.Faulted => (WorkflowEventKind.Faulted, $"{e.Error} (on {worker})"),
                    _ => (WorkflowEventKind.Log, $"{e.Status.ToCode()} on {worker}: {e.Error}"),
                };
                Options.Observer.OnEvent(new WorkflowEvent(kind, instanceId, e.ActivityId, e.ActivityName, e.ActivityType, message));
            }
            var info = Repository.Get(instanceId);
            if (info.Status != InstanceStatus.Running)
            {
                string message = info.Status switch
                {
                    InstanceStatus.Suspended => string.Join("; ", Repository.Bookmarks(instanceId).Select(b => b.Message)),
                    InstanceStatus.Faulted => info.Error ?? "faulted",
                    _ => info.Status.ToString().ToLowerInvariant(),
                };
                return new RunResult(instanceId, info.Status, message);
            }
            await Task.Delay(Options.Heartbeat, cancellation);
        }
    }

    /// <summary>
    /// Continues an instance: a suspended one re-checks its bookmark, a faulted one retries the failed stage, one left
    /// running by a dead process resumes at the activity it was running. Finished and cancelled instances are errors.
    /// </summary>
    public Task<RunResult> ResumeAsync(string idOrPrefix, CancellationToken cancellation = default)
    {
        var id = Repository.ResolveId(idOrPrefix);
        var info = Repository.Get(id);
        return info.Status switch
        {
            _ when info.Status is not (InstanceStatus.Finished or InstanceStatus.Cancelled) && Repository.LoadRuntime(id).State.Workers =>
                RunOnWorkersAsync(id, cancellation),
            InstanceStatus.Finished => throw new WorkflowStateException($"instance {id} finished at {info.FinishedAt:u}; there is nothing to resume (start a new run: unchanged stages come from the cache)"),
            InstanceStatus.Cancelled => throw new WorkflowStateException($"instance {id} was cancelled at {info.FinishedAt:u}; start a new run instead (unchanged stages come from the cache)"),
            _ => RunAsync(id, cancellation),
        };
    }

    /// <summary>
    /// Asks an instance to stop. A running one stops at its next safe point (between activities, or where the stage
    /// checks its cancellation token); one that no live process runs (suspended, faulted, crashed) is cancelled at once.
    /// Returns true when it is already cancelled on return.
    /// </summary>
    public bool Cancel(string idOrPrefix)
    {
        var id = Repository.ResolveId(idOrPrefix);
        var info = Repository.Get(id);
        if (info.Status is InstanceStatus.Finished or InstanceStatus.Cancelled)
            throw new WorkflowStateException($"instance {id} is already {info.Status.ToString().ToLowerInvariant()}");
        return Db.Write((c, t) =>
        {
            c.Execute("UPDATE workflow_instances SET cancel_requested = 1 WHERE id = @id", new { id }, t);
            if (InstanceLease.IsHeld(Db, id)) return false;
            Repository.CloseOpenExecutions(c, t, id, ExecutionStatus.Cancelled, "cancelled", includeSuspended: true);
            Repository.ClearBookmarks(c, t, id);
            Repository.SetStatus(c, t, id, InstanceStatus.Cancelled, null, null);
            return true;
        });
    }

    /// <summary>An instance with its executions and bookmarks.</summary>
    public InstanceDetail Detail(string idOrPrefix)
    {
        var id = Repository.ResolveId(idOrPrefix);
        return new InstanceDetail(Repository.Get(id), Repository.Executions(id), Repository.Bookmarks(id));
    }

    /// <summary>
    /// Removes temp content left by dead processes, keeping the run folders of trainer stages whose instance a crash
    /// left running: <c>align resume</c> continues those stages from their checkpoints. They go once the instance
    /// finishes, is cancelled or faults (the next sweep), or when the resumed stage takes them over.
    /// </summary>
    private void SweepStaleTemps()
    {
        HashSet<string>? running = null;
        Artifacts.SweepStaleTemps(path =>
        {
            if (StageRunFolders.InstanceOf(path) is not { } instance) return false;
            running ??= Repository.List().Where(i => i.Status == InstanceStatus.Running).Select(i => i.Id).ToHashSet(StringComparer.Ordinal);
            return running.Contains(instance);
        });
    }

    private static JsonNode? InitialValue(VariableDefinition variable)
    {
        var type = variable.TypeName switch
        {
            "Int32" or "Int64" or "Int16" => InputType.Integer,
            "Double" or "Single" or "Decimal" => InputType.Number,
            "Boolean" => InputType.Boolean,
            _ => (InputType?)null,
        };
        if (type is null || variable.Value is null) return variable.Value?.DeepClone();
        return ValueConversion.TryConvert(variable.Value, type.Value, out var value, out var problem)
            ? ValueConversion.ToJson(value)
            : throw new WorkflowException($"variable '{variable.Name}': initial value {problem}");
    }
}
