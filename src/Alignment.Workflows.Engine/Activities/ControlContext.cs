using System.Text.Json.Nodes;
using Alignment.Workflows.Definitions;

namespace Alignment.Workflows.Activities;

/// <summary>What a control-flow activity gets: its node, expression evaluation and the workflow variables.</summary>
public sealed class ControlContext(ActivityNode node, Func<Expression, object> evaluate, Action<string, JsonNode?> setVariable)
{
    /// <summary>The activity as defined.</summary>
    public ActivityNode Node { get; } = node;

    /// <summary>Evaluates an expression (Literal, Input, Output, Variable or Formula) to a number, text or boolean.</summary>
    public object Evaluate(Expression expression) => evaluate(expression);

    /// <summary>Sets a workflow variable (persisted with the instance at the next boundary).</summary>
    public void SetVariable(string name, JsonNode? value) => setVariable(name, value);
}
