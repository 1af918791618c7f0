using System.Collections.Concurrent;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Queries;

/// <summary>
/// The latest progress message of every stage that this process runs (progress events are not stored in the
/// database). A dashboard hosting the engine passes it as the engine's observer; stages run by another process
/// (<c>align run</c>) show the progress their run folder gives away instead (see <see cref="StageRunFolders"/>).
/// </summary>
public sealed class StageProgressBoard : IWorkflowObserver
{
    private readonly ConcurrentDictionary<(string Instance, string Activity), string> _latest = new();

    /// <inheritdoc />
    public void OnEvent(WorkflowEvent e)
    {
        switch (e.Kind)
        {
            case WorkflowEventKind.Progress:
                _latest[(e.InstanceId, e.ActivityId)] = e.Message;
                break;
            case WorkflowEventKind.Started or WorkflowEventKind.Completed or WorkflowEventKind.Cached or WorkflowEventKind.Faulted
                or WorkflowEventKind.Cancelled or WorkflowEventKind.Suspended:
                _latest.TryRemove((e.InstanceId, e.ActivityId), out _);
                break;
        }
    }

    /// <summary>The latest progress message of a running stage, or null.</summary>
    public string? Latest(string instanceId, string activityId) => _latest.GetValueOrDefault((instanceId, activityId));
}
