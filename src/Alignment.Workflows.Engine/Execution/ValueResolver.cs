using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Formulas;

namespace Alignment.Workflows.Execution;

/// <summary>
/// Evaluates expressions against a running instance: workflow inputs (given values, else defaults), variables,
/// the latest outputs of upstream activities, artifacts in the store, literals and formulas; converts the results
/// to declared input types (relative file paths made absolute, artifacts looked up and checked on disk).
/// </summary>
internal sealed class ValueResolver(
    WorkflowDefinition definition,
    JsonObject givenInputs,
    string baseDir,
    string workingDir,
    InstanceState state,
    ArtifactStore artifacts) : IFormulaScope
{
    /// <summary>The value of an expression and the folder relative paths in it resolve against.</summary>
    public (object? Value, string Folder) Raw(Expression expression) => expression.Kind switch
    {
        ExpressionKind.Literal => (expression.Value, baseDir),
        ExpressionKind.Artifact => (expression.Text, baseDir),
        ExpressionKind.Input => WorkflowInput(expression.Text ?? ""),
        ExpressionKind.Variable => (Resolve(new FormulaReference(ReferenceKind.Variable, expression.Text ?? "")), baseDir),
        ExpressionKind.Output => expression.OutputReference is var (activity, output)
            ? (Resolve(new FormulaReference(ReferenceKind.Output, output, activity)), baseDir)
            : throw new WorkflowException($"Output reference '{expression.Text}' must be activityId.outputName"),
        ExpressionKind.Formula => (Formula.Parse(expression.Text ?? "").Evaluate(this), baseDir),
        _ => throw new WorkflowException($"expression type '{expression.TypeName}' is not supported by this engine"),
    };

    /// <summary>Evaluates to a formula value (number, text or boolean), for control activities.</summary>
    public object Evaluate(Expression expression) => Formula.Normalize(Raw(expression).Value);

    /// <summary>The typed value of a declared input on <paramref name="node"/> (its default when unset; null when neither).</summary>
    public object? ResolveInput(ActivityNode node, InputDescriptor input)
    {
        var expression = node.GetInput(input.Name)?.Expression;
        var (raw, folder) = expression is null ? (input.Default, baseDir) : Raw(expression);
        if (raw is null) return null;
        string where = $"{node.Label}: input '{input.Name}'";
        if (input.Type == InputType.Artifact)
        {
            if (Formula.Normalize(raw) is not string hash) throw new WorkflowException($"{where}: expected an artifact hash, got {raw}");
            ArtifactRecord record;
            try { record = artifacts.Get(hash); }
            catch (WorkflowNotFoundException e) { throw new WorkflowException($"{where}: {e.Message}"); }
            if (!record.ExistsOnDisk)
                throw new WorkflowException($"{where}: artifact {record.Hash} is missing from the store ({record.Path} was deleted); run the workflow again to recompute it, with --force if a cached stage points at it");
            if (record.Kind != input.ArtifactKind)
                throw new WorkflowException($"{where}: expected a {input.ArtifactKind?.ToCode()} artifact, {record.Hash[..12]} is a {record.Kind.ToCode()}");
            return record;
        }
        if (!ValueConversion.TryConvert(raw, input.Type, out var value, out var problem))
            throw new WorkflowException($"{where}: {problem}");
        if (input.Type == InputType.File)
        {
            var path = Path.GetFullPath(Path.Combine(folder, (string)value!));
            if (!File.Exists(path)) throw new WorkflowException($"{where}: file {path} does not exist");
            return path;
        }
        if (input.Choices is { } choices && value is string text && !choices.Contains(text))
            throw new WorkflowException($"{where}: \"{text}\" is not one of {string.Join(", ", choices)}");
        if (input.RangeProblem(value) is { } range) throw new WorkflowException($"{where} {range}");
        return value;
    }

    public object Resolve(FormulaReference reference)
    {
        switch (reference.Kind)
        {
            case ReferenceKind.Input:
                return Typed(reference.Name, WorkflowInput(reference.Name).Value) ?? throw new WorkflowException($"workflow input '{reference.Name}' is empty");
            case ReferenceKind.Variable:
                var declared = definition.Variables.FirstOrDefault(v => v.Name == reference.Name || v.Id == reference.Name)
                               ?? throw new WorkflowException($"no workflow variable '{reference.Name}'");
                return state.Variables.GetValueOrDefault(declared.Name) ?? throw new WorkflowException($"variable '{declared.Name}' has no value");
            default:
                if (!state.Outputs.TryGetValue(reference.ActivityId!, out var outputs) || !outputs.TryGetValue(reference.Name, out var value) || value is null)
                    throw new WorkflowException($"{reference} has no value: activity '{reference.ActivityId}' has not produced it (yet) in this run");
                return value;
        }
    }

    /// <summary>
    /// A value given as text with <c>--input</c> takes the declared type of its workflow input (Int32, Double, Boolean),
    /// so a formula compares <c>--input target=0.6</c> as a number, as it does the default.
    /// </summary>
    private object? Typed(string name, object? value)
    {
        string? text = value switch
        {
            string s => s,
            JsonValue json when json.GetValueKind() == System.Text.Json.JsonValueKind.String => json.GetValue<string>(),
            _ => null,
        };
        if (text is null) return value;
        var type = definition.Inputs.FirstOrDefault(i => i.Name == name)?.Type switch
        {
            "Int32" or "Int64" or "Int16" or "Integer" => InputType.Integer,
            "Double" or "Single" or "Decimal" or "Number" => InputType.Number,
            "Boolean" => InputType.Boolean,
            _ => (InputType?)null,
        };
        if (type is null) return value;
        return ValueConversion.TryConvert(text, type.Value, out var converted, out var problem)
            ? converted
            : throw new WorkflowException($"workflow input '{name}': {problem}");
    }

    private (object? Value, string Folder) WorkflowInput(string name)
    {
        if (givenInputs[name] is { } given) return (given, workingDir);
        var declared = definition.Inputs.FirstOrDefault(i => i.Name == name)
                       ?? throw new WorkflowException($"no workflow input '{name}' is declared");
        return declared.DefaultValue is { } fallback
            ? (fallback, baseDir)
            : throw new WorkflowException($"workflow input '{name}' has no value: pass --input {name}=VALUE");
    }
}
