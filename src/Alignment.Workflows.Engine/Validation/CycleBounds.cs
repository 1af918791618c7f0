using Alignment.Workflows.Definitions;
using Alignment.Workflows.Formulas;
using Alignment.Workflows.Stages.Flow;

namespace Alignment.Workflows.Validation;

/// <summary>
/// Warns about loops that nothing visible can end. The rule, per cycle (strongly connected component): an exit is a
/// FlowDecision on the cycle with a port (True or False) that does not lead back into the cycle; the cycle changes the
/// variables its SetVariable activities set and the outputs of its other activities. The cycle is bounded when some
/// exit's condition reads a variable or an output that the cycle changes; otherwise every pass evaluates the exits on
/// the same values, so a loop that is entered once never leaves (or leaves at once, when the loop is pointless). This
/// is a warning, not an error: a condition that does read a changing value may still never turn, which the step
/// budget (<see cref="WorkflowDefinition.StepBudget"/>) stops at run time.
/// </summary>
internal static class CycleBounds
{
    public static IEnumerable<ValidationError> Warnings(WorkflowDefinition definition, FlowGraph graph)
    {
        var byId = definition.Activities.Where(a => a.Id is not null).GroupBy(a => a.Id!).ToDictionary(g => g.Key, g => g.First());
        foreach (var cycle in graph.Cycles())
        {
            var members = cycle.ToHashSet(StringComparer.Ordinal);
            var decisions = cycle.Select(id => byId[id]).Where(n => n.Type == FlowDecisionActivity.TypeName).ToList();
            if (decisions.Count == 0) continue;   // an error already: a cycle no FlowDecision can end
            var exits = decisions.Where(d => new[] { "True", "False" }.Any(port =>
                !graph.Outbound(d.Id!).Any(c => c.SourcePort == port && members.Contains(c.TargetActivity!)))).ToList();
            var changedVariables = cycle.Select(id => byId[id]).Where(n => n.Type == SetVariableActivity.TypeName)
                .Select(SetVariableActivity.VariableName).OfType<string>().SelectMany(name => Aliases(definition, name)).ToHashSet(StringComparer.Ordinal);
            var changedOutputs = cycle.Where(id => byId[id].Type is not (FlowDecisionActivity.TypeName or SetVariableActivity.TypeName))
                .ToHashSet(StringComparer.Ordinal);
            bool bounded = exits.Any(d => Reads(d).Any(r =>
                r.Kind == ReferenceKind.Variable ? changedVariables.Contains(r.Name) : r.Kind == ReferenceKind.Output && changedOutputs.Contains(r.ActivityId!)));
            if (bounded) continue;
            var first = byId[cycle[0]];
            string path = string.Join(" -> ", cycle.Select(id => byId[id].Label));
            string why = exits.Count == 0
                ? "no FlowDecision on it has a port that leaves it"
                : $"no exit condition ({string.Join(", ", exits.Select(e => e.Label))}) reads a variable or an output that the loop changes";
            yield return WorkflowValidator.Error(ValidationCodes.UnboundedCycle, first,
                $"is on a loop with no bounded exit: {path}; {why}, so once entered it may run until the step budget " +
                $"(customProperties.maxSteps, default {WorkflowDefinition.DefaultMaxSteps}) stops it. Count passes in a variable " +
                "(SetVariable \"Variable:round + 1\") and test it in the FlowDecision");
        }
    }

    /// <summary>The variables and outputs a FlowDecision's condition reads (nothing for a Literal or workflow Input).</summary>
    private static IEnumerable<FormulaReference> Reads(ActivityNode decision)
    {
        var expression = decision.GetInput("condition")?.Expression;
        switch (expression?.Kind)
        {
            case ExpressionKind.Variable when expression.Text is { } name:
                return [new FormulaReference(ReferenceKind.Variable, name)];
            case ExpressionKind.Output when expression.OutputReference is var (activity, output):
                return [new FormulaReference(ReferenceKind.Output, output, activity)];
            case ExpressionKind.Formula when expression.Text is { } text:
                try { return Formula.Parse(text).References; }
                catch (FormulaException) { return []; }   // reported as an error already
            default:
                return [];
        }
    }

    /// <summary>A variable's name and id (SetVariable and references may use either).</summary>
    private static IEnumerable<string> Aliases(WorkflowDefinition definition, string nameOrId) =>
        definition.Variables.FirstOrDefault(v => v.Name == nameOrId || v.Id == nameOrId) is { } v ? new[] { v.Name, v.Id }.OfType<string>() : [nameOrId];
}
