using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;

namespace Alignment.Workflows.Stages.Flow;

/// <summary>
/// Elsa's <c>Elsa.FlowFork</c>: continues on every outbound port at once. With a <c>branches</c> input (a Literal,
/// comma-separated text or a JSON array of names) the ports are those names; without, the single port <c>Done</c>
/// (connect several activities to it). Branches run one after another in connection order in this engine
/// (stages share one machine), never interleaved within a stage.
/// </summary>
public sealed class FlowForkActivity : IControlActivity
{
    public const string TypeName = "Elsa.FlowFork";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Flow", "Fork",
        "Starts several branches: every outbound connection is followed.",
        [new InputDescriptor("branches", InputType.String, "Optional branch (port) names, comma-separated; default: one port named Done.")],
        []);

    public IReadOnlyList<string> PortsOf(ActivityNode node) => Branches(node) is { Count: > 0 } b ? b : ["Done"];

    public IReadOnlyList<string> Execute(ControlContext context) => PortsOf(context.Node);

    private static List<string>? Branches(ActivityNode node)
    {
        var value = node.GetInput("branches")?.Expression?.Value;
        return value switch
        {
            JsonArray array => array.Select(JsonAccess.String).OfType<string>().Where(s => s.Length > 0).ToList(),
            JsonValue v when JsonAccess.String(v) is { Length: > 0 } text =>
                text.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToList(),
            _ => null,
        };
    }
}
