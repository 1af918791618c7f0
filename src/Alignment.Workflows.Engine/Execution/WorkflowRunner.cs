using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Execution;

/// <summary>
/// Runs one instance under its lease: takes the head of the queue, runs it (control activities inline, stages through
/// <see cref="StageRunner"/>), and at every boundary writes, in one transaction, the execution row and the new state
/// (outputs, variables, successors scheduled through the fired ports, join arrivals). A crash between boundaries
/// leaves the activity at the head of the queue, so a resume runs it again (stages are idempotent).
/// </summary>
internal sealed class WorkflowRunner(WorkflowEngine engine, string instanceId, InstanceLease lease, IWorkflowObserver observer)
{
    public async Task<RunResult> RunAsync(CancellationToken cancellation)
    {
        var repo = engine.Repository;
        var info = repo.Get(instanceId);
        var (definitionJson, baseDir, workingDir, state) = repo.LoadRuntime(instanceId);
        var definition = DefinitionSerializer.Parse(definitionJson, $"instance {instanceId}");
        var errors = new WorkflowValidator(engine.Registry).Validate(definition);
        if (errors.Count > 0)
            return Stop(state, InstanceStatus.Faulted, new WorkflowValidationException($"the definition stored with instance {instanceId}", errors).Message);

        engine.Db.Write((c, t) =>
        {
            if (state.CurrentExecution is not null)
                repo.CloseOpenExecutions(c, t, instanceId, ExecutionStatus.Interrupted, "the process running this activity stopped before it finished", includeSuspended: false);
            repo.ClearBookmarks(c, t, instanceId);
            state.CurrentExecution = null;
            repo.SetStatus(c, t, instanceId, InstanceStatus.Running, null, state);
        });

        var graph = new FlowGraph(definition);
        var resolver = new ValueResolver(definition, info.Inputs, baseDir, workingDir, state, engine.Artifacts);
        var stages = new StageRunner(engine, instanceId, info.Force, observer);
        while (true)
        {
            if (cancellation.IsCancellationRequested || lease.CancelRequested())
                return Stop(state, InstanceStatus.Cancelled, "cancelled before the next activity started");
            if (state.Queue.Count == 0 && !FlowScheduling.FireStalledJoin(definition, graph, state))
                return Stop(state, InstanceStatus.Finished, "finished");

            var node = definition.FindActivity(state.Queue[0])!;
            if (FlowScheduling.BudgetExhausted(definition, state, node) is { } exhausted)
                return Stop(state, InstanceStatus.Faulted, exhausted);
            var activity = engine.Registry.Find(node.Type!, node.Version ?? 1)!;
            int iteration = state.Iterations.GetValueOrDefault(node.Id!) + 1;
            long execution = engine.Db.Write((c, t) =>
            {
                long id = repo.StartExecution(c, t, instanceId, node, iteration, engine.Options.Owner);
                state.CurrentExecution = id;
                repo.SaveState(c, t, instanceId, state);
                return id;
            });
            observer.OnEvent(new WorkflowEvent(WorkflowEventKind.Started, instanceId, node.Id!, node.Name, node.Type,
                $"{node.Type} v{node.Version}{(iteration > 1 ? $", iteration {iteration}" : "")}"));

            if (activity is IControlActivity control)
            {
                IReadOnlyList<string> ports;
                try
                {
                    ports = control.Execute(new ControlContext(node, resolver.Evaluate, (name, value) => state.Variables[FlowScheduling.VariableName(definition, name)] = value));
                }
                catch (WorkflowException e)
                {
                    engine.Db.Write((c, t) => repo.FinishExecution(c, t, execution, ExecutionStatus.Faulted, null, null, null, 1, e.Message, ""));
                    observer.OnEvent(new WorkflowEvent(WorkflowEventKind.Faulted, instanceId, node.Id!, node.Name, node.Type, e.Message));
                    return Stop(state, InstanceStatus.Faulted, $"{node.Label}: {e.Message}");
                }
                var portOutputs = FlowScheduling.PortOutputs(ports);
                Complete(definition, graph, state, node, execution, ExecutionStatus.Completed, null, null, portOutputs, 1, "", ports, recordOutputs: false);
                observer.OnEvent(new WorkflowEvent(WorkflowEventKind.Flow, instanceId, node.Id!, node.Name, node.Type, $"-> {string.Join(", ", ports)}"));
                continue;
            }

            var outcome = await stages.RunAsync(node, (IStageActivity)activity, iteration, resolver, cancellation);
            switch (outcome.Status)
            {
                case ExecutionStatus.Completed or ExecutionStatus.Cached:
                    Complete(definition, graph, state, node, execution, outcome.Status, outcome.CacheKey, outcome.Parameters, outcome.Outputs!,
                        outcome.Attempts, outcome.Log, ["Done"], recordOutputs: true, cacheable: outcome.Status == ExecutionStatus.Completed, type: activity.Descriptor);
                    observer.OnEvent(new WorkflowEvent(outcome.Status == ExecutionStatus.Cached ? WorkflowEventKind.Cached : WorkflowEventKind.Completed,
                        instanceId, node.Id!, node.Name, node.Type, Describe(outcome.Outputs!)));
                    break;
                case ExecutionStatus.Suspended:
                    engine.Db.Write((c, t) =>
                    {
                        repo.FinishExecution(c, t, execution, ExecutionStatus.Suspended, outcome.CacheKey, outcome.Parameters, null, outcome.Attempts, null, outcome.Log);
                        repo.SetBookmark(c, t, instanceId, node.Id!, outcome.Bookmark!);
                        repo.SetStatus(c, t, instanceId, InstanceStatus.Suspended, null, state);
                    });
                    observer.OnEvent(new WorkflowEvent(WorkflowEventKind.Suspended, instanceId, node.Id!, node.Name, node.Type, outcome.Bookmark!.Message));
                    return new RunResult(instanceId, InstanceStatus.Suspended, outcome.Bookmark.Message);
                default:
                    var status = outcome.Status == ExecutionStatus.Cancelled ? InstanceStatus.Cancelled : InstanceStatus.Faulted;
                    engine.Db.Write((c, t) => repo.FinishExecution(c, t, execution, outcome.Status, outcome.CacheKey, outcome.Parameters, null,
                        outcome.Attempts, outcome.Error, outcome.Log));
                    observer.OnEvent(new WorkflowEvent(status == InstanceStatus.Cancelled ? WorkflowEventKind.Cancelled : WorkflowEventKind.Faulted,
                        instanceId, node.Id!, node.Name, node.Type, outcome.Error ?? outcome.Status.ToCode()));
                    string message = status == InstanceStatus.Cancelled ? $"cancelled during {node.Label}" : $"{node.Label} failed: {outcome.Error}";
                    if (status == InstanceStatus.Faulted && outcome.Log.Length > 0) message += $"\nstage log:\n{outcome.Log.TrimEnd()}";
                    return Stop(state, status, message);
            }
        }
    }

    /// <summary>Writes the end of an activity and schedules its successors, in one transaction.</summary>
    private void Complete(WorkflowDefinition definition, FlowGraph graph, InstanceState state, ActivityNode node, long execution, ExecutionStatus status,
        string? cacheKey, JsonObject? parameters, JsonObject outputs, int attempts, string log, IReadOnlyList<string> ports, bool recordOutputs,
        bool cacheable = false, ActivityDescriptor? type = null)
    {
        var repo = engine.Repository;
        state.CurrentExecution = null;
        FlowScheduling.Complete(definition, graph, state, node, outputs, ports, recordOutputs);
        engine.Db.Write((c, t) =>
        {
            repo.FinishExecution(c, t, execution, status, cacheKey, parameters, outputs, attempts, null, log);
            if (cacheable && cacheKey is not null) repo.PutCache(c, t, cacheKey, type!.Type, type.Version, outputs, instanceId, node.Id!);
            repo.SaveState(c, t, instanceId, state);
        });
    }

    private RunResult Stop(InstanceState state, InstanceStatus status, string message)
    {
        if (lease.Lost) return new RunResult(instanceId, InstanceStatus.Faulted, $"lost the lease on instance {instanceId} to another process; stopped without writing");
        state.CurrentExecution = null;
        engine.Db.Write((c, t) =>
        {
            if (status == InstanceStatus.Cancelled)
            {
                engine.Repository.CloseOpenExecutions(c, t, instanceId, ExecutionStatus.Cancelled, "cancelled", includeSuspended: true);
                engine.Repository.ClearBookmarks(c, t, instanceId);
            }
            engine.Repository.SetStatus(c, t, instanceId, status, status == InstanceStatus.Faulted ? message : null, state);
        });
        return new RunResult(instanceId, status, message);
    }

    private static string Describe(JsonObject outputs) =>
        string.Join(", ", outputs.Select(o => $"{o.Key}={(o.Value is JsonValue v && v.TryGetValue(out string? s) && s.Length == 64 ? s[..12] : o.Value?.ToJsonString())}"));
}
