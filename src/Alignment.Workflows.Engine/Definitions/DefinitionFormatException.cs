namespace Alignment.Workflows.Definitions;

/// <summary>
/// A definition file that is not well-formed JSON (or not a JSON object). The message names the file, the
/// 1-based line and column, and what the parser expected, e.g.
/// <c>workflows/x.json:12:7: invalid JSON: '}' is invalid after a property name; expected ':'</c>.
/// </summary>
public sealed class DefinitionFormatException(string file, int line, int column, string problem)
    : WorkflowException($"{file}:{line}:{column}: {problem}")
{
    /// <summary>The file name (or "&lt;text&gt;" for a string).</summary>
    public string File { get; } = file;

    /// <summary>1-based line of the error.</summary>
    public int Line { get; } = line;

    /// <summary>1-based column (in characters) of the error.</summary>
    public int Column { get; } = column;
}
