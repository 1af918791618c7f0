namespace Alignment.Workflows.Validation;

/// <summary>Stable codes of validation errors (for tests, the designer and scripts).</summary>
public static class ValidationCodes
{
    public const string Structure = "structure";
    public const string DuplicateId = "duplicate-id";
    public const string UnknownType = "unknown-type";
    public const string UnknownVersion = "unknown-version";
    public const string MissingInput = "missing-input";
    public const string UnknownInput = "unknown-input";
    public const string WrongInputType = "wrong-input-type";
    public const string OutOfRange = "out-of-range";
    public const string UnsupportedExpression = "unsupported-expression";
    public const string UnknownWorkflowInput = "unknown-workflow-input";
    public const string UnknownVariable = "unknown-variable";
    public const string UnknownActivityReference = "unknown-activity-reference";
    public const string UnknownOutput = "unknown-output";
    public const string NotUpstream = "not-upstream";
    public const string MissingArtifact = "missing-artifact";
    public const string FormulaSyntax = "formula-syntax";
    public const string DanglingConnection = "dangling-connection";
    public const string Cycle = "cycle";
    public const string NoStart = "no-start";

    /// <summary>A warning, not an error: a loop that no exit condition visibly bounds.</summary>
    public const string UnboundedCycle = "unbounded-cycle";
}

/// <summary>One problem in a definition. <see cref="Message"/> names the activity by id and name.</summary>
/// <param name="Code">One of <see cref="ValidationCodes"/>.</param>
/// <param name="ActivityId">The activity concerned, or null for document-level problems.</param>
/// <param name="ActivityName">Its name, when it has one.</param>
/// <param name="Message">The full message, e.g. <c>activity 'compare' (name 'Pairs'): input 'overlap': expected a whole number, got "two"</c>.</param>
public sealed record ValidationError(string Code, string? ActivityId, string? ActivityName, string Message)
{
    public override string ToString() => $"{Message} [{Code}]";
}

/// <summary>A definition that failed validation; carries every error found, not just the first.</summary>
public sealed class WorkflowValidationException(string source, IReadOnlyList<ValidationError> errors)
    : WorkflowException($"{source}: {errors.Count} validation error{(errors.Count == 1 ? "" : "s")}:\n" +
                        string.Join("\n", errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<ValidationError> Errors { get; } = errors;
}
