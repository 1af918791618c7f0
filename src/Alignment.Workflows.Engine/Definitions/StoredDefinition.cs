namespace Alignment.Workflows.Definitions;

/// <summary>One saved version of a workflow definition (a row of <c>workflow_definitions</c>, without its JSON).</summary>
/// <param name="DefinitionId">The definition's id (<c>definitionId</c> in the JSON).</param>
/// <param name="Version">1, 2, 3 ... in the order of saving.</param>
/// <param name="Name">The definition's <c>name</c> when saved.</param>
/// <param name="IsLatest">Whether this is the newest version of its definition.</param>
/// <param name="ErrorCount">Validation errors found when it was saved; above 0 it is a draft that cannot run yet.</param>
/// <param name="SourceDir">The folder relative file paths in Literal inputs resolve against (a file's folder on import), or null.</param>
/// <param name="CreatedAt">When it was saved.</param>
/// <param name="CreatedBy">Who saved it (account name, or <c>cli</c>).</param>
public sealed record DefinitionVersionInfo(
    string DefinitionId,
    int Version,
    string? Name,
    bool IsLatest,
    int ErrorCount,
    string? SourceDir,
    DateTimeOffset CreatedAt,
    string CreatedBy);

/// <summary>A saved version with its definition document.</summary>
public sealed record StoredDefinition(DefinitionVersionInfo Info, WorkflowDefinition Definition);
