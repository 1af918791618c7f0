using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;

namespace Alignment.Workflows.Stages.Flow;

/// <summary>
/// Elsa's <c>Elsa.SetVariable</c>: sets a workflow variable to the value of an expression, e.g. a loop counter
/// <c>{"type": "Formula", "value": "Variable:round + 1"}</c>. <c>variable</c> names the variable: Elsa's variable
/// object (<c>{"id", "name", ...}</c>), a plain name, or an input whose Literal is the name.
/// </summary>
public sealed class SetVariableActivity : IControlActivity
{
    public const string TypeName = "Elsa.SetVariable";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Flow", "Set variable",
        "Sets a workflow variable to the value of an expression (Literal, Input, Output, Variable or Formula).",
        [
            new InputDescriptor("variable", InputType.String, "The variable: Elsa's variable object, or its name."),
            new InputDescriptor("value", InputType.String, "The new value: any expression; a Formula can compute it (\"Variable:round + 1\").", Required: true),
        ],
        []);

    public IReadOnlyList<string> Execute(ControlContext context)
    {
        var name = VariableName(context.Node) ?? throw new WorkflowException($"{context.Node.Label}: names no variable");
        var expression = context.Node.GetInput("value")?.Expression ?? throw new WorkflowException($"{context.Node.Label}: has no value");
        context.SetVariable(name, ValueConversion.ToJson(context.Evaluate(expression)));
        return ["Done"];
    }

    public IEnumerable<string> ValidateNode(ActivityNode node, WorkflowDefinition definition)
    {
        var name = VariableName(node);
        if (name is null)
            yield return "input 'variable' is missing: name the variable to set";
        else if (!definition.Variables.Any(v => v.Name == name || v.Id == name))
            yield return $"input 'variable': no workflow variable '{name}' is declared (declared: {Names(definition)})";
    }

    /// <summary>The name (or id) of the variable this node sets, however it is written.</summary>
    public static string? VariableName(ActivityNode node) => node.Json["variable"] switch
    {
        JsonValue v => JsonAccess.String(v),
        JsonObject o when o["expression"] is JsonObject e => JsonAccess.String(e["value"]),
        JsonObject o => JsonAccess.String(o["name"]) ?? JsonAccess.String(o["id"]) ?? JsonAccess.String(o["memoryReference"]?["id"]),
        _ => null,
    };

    private static string Names(WorkflowDefinition definition) =>
        definition.Variables.Count == 0 ? "none" : string.Join(", ", definition.Variables.Select(v => v.Name));
}
