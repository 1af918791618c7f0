namespace Alignment.Workflows.Formulas;

/// <summary>What a reference in a formula points at.</summary>
public enum ReferenceKind
{
    /// <summary><c>Input:name</c> — a workflow input.</summary>
    Input,
    /// <summary><c>Output:activityId.outputName</c> — an upstream activity's output.</summary>
    Output,
    /// <summary><c>Variable:name</c> — a workflow variable.</summary>
    Variable,
}

/// <summary>One reference inside a formula (or an Input/Output/Variable expression).</summary>
/// <param name="Kind">Input, Output or Variable.</param>
/// <param name="Name">The input or variable name; for outputs the output name.</param>
/// <param name="ActivityId">For outputs: the activity id; null otherwise.</param>
public sealed record FormulaReference(ReferenceKind Kind, string Name, string? ActivityId = null)
{
    public override string ToString() => Kind == ReferenceKind.Output ? $"Output:{ActivityId}.{Name}" : $"{Kind}:{Name}";
}

/// <summary>Resolves references while a formula is evaluated.</summary>
public interface IFormulaScope
{
    /// <summary>The current value (a number, string or boolean); throws <see cref="FormulaException"/> when it has none.</summary>
    object Resolve(FormulaReference reference);
}

/// <summary>A formula that does not parse, or whose operands do not fit its operators. The message names the position.</summary>
public sealed class FormulaException(string message) : WorkflowException(message);
