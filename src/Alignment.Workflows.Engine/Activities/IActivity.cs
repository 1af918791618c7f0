using Alignment.Workflows.Definitions;

namespace Alignment.Workflows.Activities;

/// <summary>An activity type: its declared metadata. Implementations are stateless and shared by all instances.</summary>
public interface IActivity
{
    /// <summary>Type name, version, category, inputs, outputs and ports.</summary>
    ActivityDescriptor Descriptor { get; }

    /// <summary>The outbound ports of this activity as configured (a fork's branches); the declared ports by default.</summary>
    IReadOnlyList<string> PortsOf(ActivityNode node) => Descriptor.OutPorts;

    /// <summary>Checks beyond the declared inputs (e.g. that a SetVariable names a declared variable); messages without the activity label.</summary>
    IEnumerable<string> ValidateNode(ActivityNode node, WorkflowDefinition definition) => [];
}

/// <summary>
/// A pipeline stage (ImportDataset, Sft, Dpo ...). The engine resolves its inputs, computes its cache key, and runs
/// it at least once: a stage must be idempotent (running it again after a crash gives the same outputs; side effects
/// in the database are find-or-create). Outputs are written through <see cref="StageContext"/> (temp path, then
/// renamed into the store). Throw <see cref="TransientStageException"/> for failures worth retrying; any other
/// exception faults the instance. Honour <see cref="StageContext.Cancellation"/> at safe points.
/// </summary>
public interface IStageActivity : IActivity
{
    /// <summary>Runs the stage once; returns completed, or suspended on a bookmark (human task).</summary>
    Task<StageResult> ExecuteAsync(StageContext context);
}

/// <summary>
/// A control-flow activity (FlowDecision, FlowFork, FlowJoin, SetVariable) run by the engine between stages: it
/// decides which outbound ports fire. Never cached, never retried.
/// </summary>
public interface IControlActivity : IActivity
{
    /// <summary>The ports that fire (e.g. ["True"]).</summary>
    IReadOnlyList<string> Execute(ControlContext context);
}
