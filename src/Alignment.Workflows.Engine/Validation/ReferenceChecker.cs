using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Formulas;

namespace Alignment.Workflows.Validation;

/// <summary>Checks the inputs of one activity: presence, type, expression kind and every reference they make.</summary>
internal sealed class ReferenceChecker(
    WorkflowDefinition definition,
    FlowGraph graph,
    ActivityNode node,
    IReadOnlyDictionary<string, IActivity> resolved,
    IReadOnlyDictionary<string, ActivityNode> byId,
    ArtifactStore? artifacts,
    List<ValidationError> errors)
{
    public void CheckInput(InputDescriptor input)
    {
        var value = node.GetInput(input.Name);
        if (value?.Expression is not { } expression)
        {
            if (input.Required && input.Default is null)
                Add(ValidationCodes.MissingInput, $"required input '{input.Name}' is missing ({input.Description})");
            return;
        }
        if (!ValueConversion.TypeNameFits(input.Type, value.TypeName))
            Add(ValidationCodes.WrongInputType,
                $"input '{input.Name}' has typeName '{value.TypeName}' but is declared {input.Type} (use {ValueConversion.AcceptedTypeNames(input.Type)})");

        switch (expression.Kind)
        {
            case ExpressionKind.Unsupported:
                Add(ValidationCodes.UnsupportedExpression,
                    $"input '{input.Name}' uses expression type '{expression.TypeName}', which this engine does not run; use {string.Join(", ", Expression.Kinds.Keys)}");
                break;
            case ExpressionKind.Literal:
                CheckLiteral(input, expression);
                break;
            case ExpressionKind.Input:
                CheckReference(input, new FormulaReference(ReferenceKind.Input, expression.Text ?? ""));
                break;
            case ExpressionKind.Variable:
                CheckReference(input, new FormulaReference(ReferenceKind.Variable, expression.Text ?? ""));
                break;
            case ExpressionKind.Output:
                if (expression.OutputReference is not var (activityId, outputName))
                    Add(ValidationCodes.UnknownActivityReference, $"input '{input.Name}': Output reference '{expression.Text}' must be activityId.outputName");
                else
                    CheckReference(input, new FormulaReference(ReferenceKind.Output, outputName, activityId));
                break;
            case ExpressionKind.Artifact:
                CheckArtifact(input, expression);
                break;
            case ExpressionKind.Formula:
                CheckFormula(input, expression);
                break;
        }
    }

    private void CheckLiteral(InputDescriptor input, Expression expression)
    {
        if (input.Type == InputType.Artifact)
        {
            Add(ValidationCodes.WrongInputType, $"input '{input.Name}' takes a {input.ArtifactKind?.ToCode()} artifact: use an Output expression (\"activityId.output\") or an Artifact hash, not a Literal");
            return;
        }
        if (!ValueConversion.TryConvert(expression.Value, input.Type, out var converted, out var problem))
        {
            Add(ValidationCodes.WrongInputType, $"input '{input.Name}': {problem}");
            return;
        }
        if (input.Choices is { } choices && converted is string text && !choices.Contains(text))
            Add(ValidationCodes.WrongInputType, $"input '{input.Name}': \"{text}\" is not one of {string.Join(", ", choices)}");
        if (input.RangeProblem(converted) is { } range)
            Add(ValidationCodes.OutOfRange, $"input '{input.Name}' {range}");
    }

    private void CheckArtifact(InputDescriptor input, Expression expression)
    {
        var text = expression.Text ?? "";
        if (input.Type != InputType.Artifact)
        {
            Add(ValidationCodes.WrongInputType, $"input '{input.Name}' is declared {input.Type}; only artifact inputs take an Artifact expression");
            return;
        }
        if (text.Length < 4 || !text.All(Uri.IsHexDigit))
        {
            Add(ValidationCodes.WrongInputType, $"input '{input.Name}': '{text}' is not an artifact hash (sha256 hex, or a prefix of at least 4 digits)");
            return;
        }
        if (artifacts is null) return;
        try
        {
            var record = artifacts.Get(text);
            if (!record.ExistsOnDisk)
                Add(ValidationCodes.MissingArtifact, $"input '{input.Name}': artifact {record.Hash} is recorded but its content is gone from {record.Path}");
            else if (record.Kind != input.ArtifactKind)
                Add(ValidationCodes.WrongInputType, $"input '{input.Name}' takes a {input.ArtifactKind?.ToCode()} artifact; {record.Hash[..12]} is a {record.Kind.ToCode()}");
        }
        catch (WorkflowNotFoundException e)
        {
            Add(ValidationCodes.MissingArtifact, $"input '{input.Name}': {e.Message}");
        }
    }

    private void CheckFormula(InputDescriptor input, Expression expression)
    {
        Formula formula;
        try
        {
            formula = Formula.Parse(expression.Text ?? "");
        }
        catch (FormulaException e)
        {
            Add(ValidationCodes.FormulaSyntax, $"input '{input.Name}': formula '{expression.Text}': {e.Message}");
            return;
        }
        foreach (var reference in formula.References) CheckReference(input, reference, inFormula: true);
    }

    private void CheckReference(InputDescriptor input, FormulaReference reference, bool inFormula = false)
    {
        string where = $"input '{input.Name}'";
        switch (reference.Kind)
        {
            case ReferenceKind.Input:
                if (!definition.Inputs.Any(i => i.Name == reference.Name))
                    Add(ValidationCodes.UnknownWorkflowInput,
                        $"{where}: refers to workflow input '{reference.Name}', which the definition does not declare (declared: {List(definition.Inputs.Select(i => i.Name))})");
                break;
            case ReferenceKind.Variable:
                if (!definition.Variables.Any(v => v.Name == reference.Name || v.Id == reference.Name))
                    Add(ValidationCodes.UnknownVariable,
                        $"{where}: refers to variable '{reference.Name}', which the definition does not declare (declared: {List(definition.Variables.Select(v => v.Name))})");
                break;
            case ReferenceKind.Output:
                CheckOutput(input, reference, inFormula);
                break;
        }
    }

    private void CheckOutput(InputDescriptor input, FormulaReference reference, bool inFormula)
    {
        string where = $"input '{input.Name}'";
        var activityId = reference.ActivityId!;
        if (!byId.TryGetValue(activityId, out var source))
        {
            Add(ValidationCodes.UnknownActivityReference, $"{where}: refers to {reference}, but no activity has id '{activityId}'");
            return;
        }
        if (!graph.Ancestors(node.Id!).Contains(activityId))
        {
            Add(ValidationCodes.NotUpstream, $"{where}: refers to {reference}, but {source.Label} is not upstream of this activity (connect it before)");
            return;
        }
        if (!resolved.TryGetValue(activityId, out var activity)) return; // its unknown type is reported on its own
        var output = activity.Descriptor.FindOutput(reference.Name);
        if (output is null)
        {
            Add(ValidationCodes.UnknownOutput,
                $"{where}: refers to {reference}, but {activity.Descriptor.Type} has no output '{reference.Name}' (outputs: {List(activity.Descriptor.Outputs.Select(o => o.Name))})");
            return;
        }
        if (inFormula) return;
        if (!input.Accepts(output))
            Add(ValidationCodes.WrongInputType, $"{where} takes {input.Describe()} but {reference} is {output.Describe()}");
    }

    private static string List(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "none" : string.Join(", ", list);
    }

    private void Add(string code, string problem) => errors.Add(WorkflowValidator.Error(code, node, problem));
}
