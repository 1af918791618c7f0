namespace Alignment.Workflows.Execution;

/// <summary>What happened, for progress display.</summary>
public enum WorkflowEventKind { Started, Completed, Cached, Suspended, Faulted, Cancelled, Retrying, Log, Progress, Flow }

/// <summary>One event of a running instance.</summary>
public sealed record WorkflowEvent(WorkflowEventKind Kind, string InstanceId, string ActivityId, string? ActivityName, string? ActivityType, string Message);

/// <summary>Receives events while an instance runs (the CLI prints them).</summary>
public interface IWorkflowObserver
{
    void OnEvent(WorkflowEvent e);
}

/// <summary>An observer that ignores everything.</summary>
public sealed class NullObserver : IWorkflowObserver
{
    public static readonly NullObserver Instance = new();
    public void OnEvent(WorkflowEvent e) { }
}
