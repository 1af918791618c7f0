using Alignment.Workflows.Activities;
using Alignment.Workflows.Formulas;

namespace Alignment.Workflows.Stages.Flow;

/// <summary>
/// Elsa's <c>Elsa.FlowDecision</c>: evaluates <c>condition</c> and continues on port <c>True</c> or <c>False</c>. The
/// condition is a Formula (<c>Output:eval.winRate &gt;= 0.6</c>), or a Literal, Variable, Input or Output holding a
/// boolean. A FlowDecision is what makes a loop legal: a cycle through one can end.
/// </summary>
public sealed class FlowDecisionActivity : IControlActivity
{
    public const string TypeName = "Elsa.FlowDecision";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Flow", "Decision",
        "Continues on True or False depending on a condition (a Formula over inputs, variables and upstream outputs).",
        [new InputDescriptor("condition", InputType.Boolean,
            "The condition: a Formula such as \"Output:eval.winRate >= 0.6\", or a boolean Literal, Variable, Input or Output.", Required: true)],
        [],
        ["True", "False"]);

    public IReadOnlyList<string> Execute(ControlContext context)
    {
        var expression = context.Node.GetInput("condition")?.Expression
                         ?? throw new WorkflowException($"{context.Node.Label}: has no condition");
        var value = context.Evaluate(expression);
        return value is bool b
            ? [b ? "True" : "False"]
            : throw new FormulaException($"{context.Node.Label}: the condition gave {value}, not true or false");
    }
}
