using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Execution.Jobs;

/// <summary>
/// The job an <c>align worker</c> runs for one activity of an instance. It starts an execution row (with this
/// worker's identity) if its token is still the one the dispatch recorded (a row left open by a worker that died
/// is closed as interrupted: this job is that worker's job, fetched again); a control activity runs and completes in
/// that same transaction. A stage runs outside any transaction, through <see cref="StageRunner"/> (cache, retries),
/// stopping when the instance is cancelled; its end is written in one transaction with the new scheduler state
/// (outputs, successors queued), then the activities it made ready are handed out. When the worker shuts down the
/// job is given back to the job engine unfinished, to be taken over.
/// </summary>
public sealed class StageJob(WorkflowEngine engine)
{
    private sealed record Begun(InstanceInfo Info, WorkflowDefinition Definition, ActivityNode Node, IStageActivity Stage, int Iteration,
        long Execution, InstanceState State, string BaseDir, string WorkingDir);

    public async Task RunAsync(string instanceId, string activityId, string token, CancellationToken shutdown)
    {
        var begun = Begin(instanceId, activityId, token);
        if (begun is not null) await RunStageAsync(begun, shutdown);
        new WorkerDispatch(engine).Dispatch(instanceId);
    }

    /// <summary>Opens the execution (running a control activity to its end); null when there is no stage left to run.</summary>
    private Begun? Begin(string instanceId, string activityId, string token)
    {
        var repo = engine.Repository;
        var observer = engine.Options.Observer;
        WorkflowEvent? late = null;
        var begun = engine.Db.Write((c, t) =>
        {
            late = null;
            var info = InstanceRepository.Get(c, t, instanceId);
            if (info.Status != InstanceStatus.Running) return null;
            var (definitionJson, baseDir, workingDir, state) = repo.LoadRuntime(c, t, instanceId);
            if (!state.Dispatched.TryGetValue(activityId, out var current) || current != token) return null;
            var definition = DefinitionSerializer.Parse(definitionJson, $"instance {instanceId}");
            var node = definition.FindActivity(activityId)!;
            if (state.Running.Remove(activityId, out long previous))
                repo.FinishExecution(c, t, previous, ExecutionStatus.Interrupted, null, null, null, 0,
                    $"the worker running this activity stopped before it finished; taken over by {engine.Options.Owner}", "");
            if (FlowScheduling.BudgetExhausted(definition, state, node) is { } exhausted)
            {
                state.Dispatched.Remove(activityId);
                repo.SetStatus(c, t, instanceId, InstanceStatus.Faulted, exhausted, state);
                return null;
            }
            var activity = engine.Registry.Find(node.Type!, node.Version ?? 1)!;
            int iteration = state.Iterations.GetValueOrDefault(activityId) + 1;
            long execution = repo.StartExecution(c, t, instanceId, node, iteration, engine.Options.Owner);
            if (activity is IControlActivity control)
            {
                state.Dispatched.Remove(activityId);
                var resolver = new ValueResolver(definition, info.Inputs, baseDir, workingDir, state, engine.Artifacts);
                IReadOnlyList<string> ports;
                try
                {
                    ports = control.Execute(new ControlContext(node, resolver.Evaluate, (name, value) => state.Variables[FlowScheduling.VariableName(definition, name)] = value));
                }
                catch (WorkflowException e)
                {
                    repo.FinishExecution(c, t, execution, ExecutionStatus.Faulted, null, null, null, 1, e.Message, "");
                    repo.SetStatus(c, t, instanceId, InstanceStatus.Faulted, $"{node.Label}: {e.Message}", state);
                    late = new WorkflowEvent(WorkflowEventKind.Faulted, instanceId, activityId, node.Name, node.Type, e.Message);
                    return null;
                }
                var portOutputs = FlowScheduling.PortOutputs(ports);
                FlowScheduling.Complete(definition, new FlowGraph(definition), state, node, portOutputs, ports, recordOutputs: false);
                repo.FinishExecution(c, t, execution, ExecutionStatus.Completed, null, null, portOutputs, 1, null, "");
                repo.SaveState(c, t, instanceId, state);
                late = new WorkflowEvent(WorkflowEventKind.Flow, instanceId, activityId, node.Name, node.Type, $"-> {string.Join(", ", ports)}");
                return null;
            }
            state.Running[activityId] = execution;
            repo.SaveState(c, t, instanceId, state);
            late = new WorkflowEvent(WorkflowEventKind.Started, instanceId, activityId, node.Name, node.Type,
                $"{node.Type} v{node.Version}{(iteration > 1 ? $", iteration {iteration}" : "")} (instance {instanceId})");
            return new Begun(info, definition, node, (IStageActivity)activity, iteration, execution, state, baseDir, workingDir);
        });
        if (late is not null) observer.OnEvent(late);
        return begun;
    }

    private async Task RunStageAsync(Begun begun, CancellationToken shutdown)
    {
        var (info, node) = (begun.Info, begun.Node);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        using var watch = new Timer(_ =>
        {
            try
            {
                var now = engine.Repository.Get(info.Id);
                if (now.CancelRequested || now.Status != InstanceStatus.Running) stop.Cancel();
            }
            catch (Exception) when (!stop.IsCancellationRequested)
            {
                // A busy database delays one look; the next one comes a heartbeat later.
            }
        }, null, engine.Options.Heartbeat, engine.Options.Heartbeat);

        var resolver = new ValueResolver(begun.Definition, info.Inputs, begun.BaseDir, begun.WorkingDir, begun.State, engine.Artifacts);
        var outcome = await new StageRunner(engine, info.Id, info.Force, engine.Options.Observer).RunAsync(node, begun.Stage, begun.Iteration, resolver, stop.Token);
        await watch.DisposeAsync();
        // The worker is shutting down: the job goes back to the job engine and another worker takes the stage over.
        if (outcome.Status == ExecutionStatus.Cancelled && shutdown.IsCancellationRequested) shutdown.ThrowIfCancellationRequested();
        Finish(begun, outcome);
    }

    /// <summary>Writes the stage's end and the scheduler state it leads to, in one transaction.</summary>
    private void Finish(Begun begun, StageOutcome outcome)
    {
        var repo = engine.Repository;
        var (instanceId, node) = (begun.Info.Id, begun.Node);
        bool written = engine.Db.Write((c, t) =>
        {
            var status = InstanceRepository.Get(c, t, instanceId).Status;
            var (_, _, _, state) = repo.LoadRuntime(c, t, instanceId);
            if (!state.Running.TryGetValue(node.Id!, out long running) || running != begun.Execution) return false;   // taken over meanwhile
            state.Running.Remove(node.Id!);
            state.Dispatched.Remove(node.Id!);
            if (status == InstanceStatus.Cancelled)
            {
                repo.SaveState(c, t, instanceId, state);   // `align cancel` closed the execution
                return false;
            }
            switch (outcome.Status)
            {
                case ExecutionStatus.Completed or ExecutionStatus.Cached:
                    repo.FinishExecution(c, t, begun.Execution, outcome.Status, outcome.CacheKey, outcome.Parameters, outcome.Outputs,
                        outcome.Attempts, null, outcome.Log);
                    if (outcome.Status == ExecutionStatus.Completed && outcome.CacheKey is not null)
                        repo.PutCache(c, t, outcome.CacheKey, begun.Stage.Descriptor.Type, begun.Stage.Descriptor.Version, outcome.Outputs!, instanceId, node.Id!);
                    FlowScheduling.Complete(begun.Definition, new FlowGraph(begun.Definition), state, node, outcome.Outputs!, ["Done"], recordOutputs: true);
                    repo.SaveState(c, t, instanceId, state);
                    break;
                case ExecutionStatus.Suspended:
                    repo.FinishExecution(c, t, begun.Execution, ExecutionStatus.Suspended, outcome.CacheKey, outcome.Parameters, null, outcome.Attempts, null, outcome.Log);
                    repo.SetBookmark(c, t, instanceId, node.Id!, outcome.Bookmark!);
                    repo.SaveState(c, t, instanceId, state);
                    break;
                default:
                    repo.FinishExecution(c, t, begun.Execution, outcome.Status, outcome.CacheKey, outcome.Parameters, null, outcome.Attempts, outcome.Error, outcome.Log);
                    if (outcome.Status == ExecutionStatus.Cancelled)
                        repo.SaveState(c, t, instanceId, state);
                    else
                        repo.SetStatus(c, t, instanceId, InstanceStatus.Faulted, $"{node.Label} failed: {outcome.Error}", state);
                    break;
            }
            return true;
        });
        if (!written) return;
        var kind = outcome.Status switch
        {
            ExecutionStatus.Completed => WorkflowEventKind.Completed,
            ExecutionStatus.Cached => WorkflowEventKind.Cached,
            ExecutionStatus.Suspended => WorkflowEventKind.Suspended,
            ExecutionStatus.Cancelled => WorkflowEventKind.Cancelled,
            _ => WorkflowEventKind.Faulted,
        };
        string? detail = outcome.Error ?? outcome.Bookmark?.Message;
        engine.Options.Observer.OnEvent(new WorkflowEvent(kind, instanceId, node.Id!, node.Name, node.Type,
            detail is null ? $"instance {instanceId}" : $"{detail} (instance {instanceId})"));
    }
}
