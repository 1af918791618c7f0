using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Workflows.Definitions;

/// <summary>
/// Workflow definitions stored in <c>align.db</c> (table <c>workflow_definitions</c>, this project's migration 0002), by definition id
/// and version. Saving never overwrites: it adds version max + 1, marks it latest, and sets the document's Elsa fields
/// to match (<c>version</c>, <c>id</c> = <c>definitionId-vN</c>, <c>isLatest</c>; the previous latest version's JSON gets
/// <c>isLatest: false</c>). Every other key of the document is stored as given.
/// </summary>
public sealed partial class DefinitionRepository(AlignStore store)
{
    private readonly AlignStore db = EngineMigrations.Ensure(store);

    private const string Columns =
        "definition_id, version, name, is_latest, error_count, source_dir, created_at, created_by";

    /// <summary>
    /// Saves <paramref name="definition"/> (a copy; the argument is not changed) as a new version of its
    /// <c>definitionId</c>. <paramref name="errorCount"/> is the number of validation errors (0: runnable).
    /// <paramref name="sourceDir"/> null keeps the previous version's folder.
    /// </summary>
    public StoredDefinition Save(WorkflowDefinition definition, string createdBy, int errorCount, string? sourceDir = null)
    {
        var definitionId = CheckId(definition.DefinitionId);
        if (string.IsNullOrWhiteSpace(createdBy)) throw new ArgumentException("createdBy is required", nameof(createdBy));
        var copy = new WorkflowDefinition((JsonObject)definition.Json.DeepClone());
        return db.Write((c, t) =>
        {
            int version = (int)c.ExecuteScalar<long>(
                "SELECT COALESCE(MAX(version), 0) FROM workflow_definitions WHERE definition_id = @definitionId", new { definitionId }, t) + 1;
            var previous = c.QuerySingleOrDefault<PreviousRow>(
                "SELECT version, json, source_dir FROM workflow_definitions WHERE definition_id = @definitionId AND is_latest = 1",
                new { definitionId }, t);
            if (previous is not null)
            {
                var old = DefinitionSerializer.Parse(previous.Json, $"{definitionId} version {previous.Version}");
                old.IsLatest = false;
                c.Execute("UPDATE workflow_definitions SET is_latest = 0, json = @json WHERE definition_id = @definitionId AND version = @version",
                    new { definitionId, version = previous.Version, json = DefinitionSerializer.Write(old) }, t);
            }
            copy.Version = version;
            copy.Json["id"] = $"{definitionId}-v{version}";
            copy.IsLatest = true;
            var info = new DefinitionVersionInfo(definitionId, version, copy.Name, true, errorCount,
                sourceDir ?? previous?.SourceDir, db.Clock.GetUtcNow(), createdBy);
            c.Execute(
                """
                INSERT INTO workflow_definitions (definition_id, version, name, json, is_latest, error_count, source_dir, created_at, created_by)
                VALUES (@DefinitionId, @Version, @Name, @Json, 1, @ErrorCount, @SourceDir, @CreatedAt, @CreatedBy)
                """,
                new
                {
                    info.DefinitionId, info.Version, info.Name, Json = DefinitionSerializer.Write(copy), info.ErrorCount, info.SourceDir,
                    CreatedAt = Timestamps.ToText(info.CreatedAt), info.CreatedBy,
                }, t);
            return new StoredDefinition(info, copy);
        });
    }

    /// <summary>Every stored version of every definition: by definition id, newest version first.</summary>
    public IReadOnlyList<DefinitionVersionInfo> List() => db.Read(c =>
        c.Query<Row>($"SELECT {Columns} FROM workflow_definitions ORDER BY definition_id, version DESC").Select(r => r.ToInfo()).ToList());

    /// <summary>The versions of one definition, newest first (empty when it is unknown).</summary>
    public IReadOnlyList<DefinitionVersionInfo> Versions(string definitionId) => db.Read(c =>
        c.Query<Row>($"SELECT {Columns} FROM workflow_definitions WHERE definition_id = @definitionId ORDER BY version DESC",
            new { definitionId }).Select(r => r.ToInfo()).ToList());

    /// <summary>One version (null: the latest); <see cref="WorkflowNotFoundException"/> when there is no such definition or version.</summary>
    public StoredDefinition Get(string definitionId, int? version = null) => db.Read(c => Get(c, definitionId, version));

    private static StoredDefinition Get(DbConnection c, string definitionId, int? version)
    {
        var row = c.QuerySingleOrDefault<Row>(
            $"SELECT {Columns}, json FROM workflow_definitions WHERE definition_id = @definitionId AND " +
            (version is null ? "is_latest = 1" : "version = @version"), new { definitionId, version });
        if (row is null)
        {
            bool known = c.ExecuteScalar<long>("SELECT COUNT(1) FROM workflow_definitions WHERE definition_id = @definitionId", new { definitionId }) > 0;
            throw new WorkflowNotFoundException(known
                ? $"workflow definition '{definitionId}' has no version {version}"
                : $"no workflow definition '{definitionId}' is stored (see `align workflows list` or /workflows)");
        }
        return new StoredDefinition(row.ToInfo(), DefinitionSerializer.Parse(row.Json!, $"{definitionId} version {row.Version}"));
    }

    /// <summary>Checks a definition id: 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit.</summary>
    public static string CheckId(string? definitionId) =>
        definitionId is { Length: > 0 } id && IdPattern().IsMatch(id)
            ? id
            : throw new WorkflowException(definitionId is null or ""
                ? "the definition has no \"definitionId\"; set one (letters, digits, '.', '_' or '-')"
                : $"definitionId '{definitionId}' is not usable: use 1 to 100 letters, digits, '.', '_' or '-', starting with a letter or digit");

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")]
    private static partial Regex IdPattern();

    private sealed class PreviousRow
    {
        public long Version { get; set; }
        public string Json { get; set; } = "";
        public string? SourceDir { get; set; }
    }

    private sealed class Row
    {
        public string DefinitionId { get; set; } = "";
        public long Version { get; set; }
        public string? Name { get; set; }
        public long IsLatest { get; set; }
        public long ErrorCount { get; set; }
        public string? SourceDir { get; set; }
        public string CreatedAt { get; set; } = "";
        public string CreatedBy { get; set; } = "";
        public string? Json { get; set; }

        public DefinitionVersionInfo ToInfo() => new(DefinitionId, (int)Version, Name, IsLatest != 0, (int)ErrorCount, SourceDir,
            Timestamps.Parse(CreatedAt), CreatedBy);
    }
}
