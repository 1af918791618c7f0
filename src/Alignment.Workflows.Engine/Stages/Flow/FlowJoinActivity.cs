using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;

namespace Alignment.Workflows.Stages.Flow;

/// <summary>How a FlowJoin waits for its inbound branches.</summary>
public enum JoinMode
{
    /// <summary>Continue once every inbound connection has arrived, or once nothing else can run (branches a decision did not take never arrive).</summary>
    WaitAll,
    /// <summary>Continue on the first arrival; later arrivals of the same round are absorbed.</summary>
    WaitAny,
}

/// <summary>
/// Elsa's <c>Elsa.FlowJoin</c>: merges branches. <c>mode</c> is <c>WaitAll</c> or <c>WaitAny</c> (Elsa's default).
/// WaitAll continues when every inbound connection has delivered, or when the instance has nothing else to run
/// (a branch cut off by a FlowDecision never delivers, as in Elsa's fork-decision-join example).
/// </summary>
public sealed class FlowJoinActivity : IControlActivity
{
    public const string TypeName = "Elsa.FlowJoin";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Flow", "Join",
        "Merges branches: WaitAll waits for every inbound branch that can still arrive, WaitAny continues on the first.",
        [new InputDescriptor("mode", InputType.String, "WaitAll or WaitAny (default WaitAny, as in Elsa).",
            Default: "WaitAny", Choices: ["WaitAll", "WaitAny"])],
        []);

    public IReadOnlyList<string> Execute(ControlContext context) => ["Done"];

    /// <summary>The node's join mode.</summary>
    public static JoinMode ModeOf(ActivityNode node) =>
        node.GetInput("mode")?.Expression?.Text is "WaitAll" ? JoinMode.WaitAll : JoinMode.WaitAny;
}
