using Alignment.Workflows.Validation;

namespace Alignment.Workflows.Definitions;

/// <summary>What a save did: the stored version and the validation errors it was saved with (empty: runnable).</summary>
public sealed record SaveResult(StoredDefinition Stored, IReadOnlyList<ValidationError> Errors);

/// <summary>
/// Saving definitions with their validation: a definition with errors is still saved (a draft: the designer keeps
/// work in progress), and its error count is stored with it, so lists show which versions can run. Used by the web
/// designer and by <c>align workflows save</c>.
/// </summary>
public sealed class DefinitionLibrary(DefinitionRepository repository, WorkflowValidator validator)
{
    /// <summary>The repository underneath.</summary>
    public DefinitionRepository Repository { get; } = repository;

    /// <summary>Validates <paramref name="definition"/>, then saves it as a new version (errors or not).</summary>
    public SaveResult Save(WorkflowDefinition definition, string createdBy, string? sourceDir = null)
    {
        DefinitionRepository.CheckId(definition.DefinitionId);
        var errors = validator.Validate(definition);
        return new SaveResult(Repository.Save(definition, createdBy, errors.Count, sourceDir), errors);
    }

    /// <summary>
    /// Reads a definition file and saves it as a new version; its folder becomes the folder relative paths resolve
    /// against. A file without <c>definitionId</c> gets its file name (without extension) as the id.
    /// </summary>
    public SaveResult Import(string path, string createdBy)
    {
        var full = Path.GetFullPath(path);
        var definition = DefinitionSerializer.Load(full);
        if (string.IsNullOrEmpty(definition.DefinitionId))
            definition.DefinitionId = Path.GetFileNameWithoutExtension(full);
        return Save(definition, createdBy, Path.GetDirectoryName(full));
    }
}
