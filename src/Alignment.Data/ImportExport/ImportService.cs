using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Data.ImportExport;

/// <summary>What an import file holds.</summary>
public enum ImportKind
{
    /// <summary>Rows <c>{"prompt"}</c>.</summary>
    Prompts,
    /// <summary>Rows <c>{"prompt","response","model"?,"artifact"?}</c>; <c>completion</c> is accepted for <c>response</c>.</summary>
    Responses,
    /// <summary>Rows <c>{"prompt","response_a","response_b","model_a"?,"model_b"?,"artifact_a"?,"artifact_b"?,"gold"?,"gold_strength"?}</c>.</summary>
    Pairs,
}

/// <summary>What an import wrote. Rows already present (same prompt, same response text and model, same pair) are counted as duplicates, not written twice.</summary>
/// <param name="Kind">The kind of file.</param>
/// <param name="Rows">Data rows read.</param>
/// <param name="PromptsCreated">New prompts.</param>
/// <param name="ResponsesCreated">New responses.</param>
/// <param name="ComparisonsCreated">New comparisons.</param>
/// <param name="Duplicates">Rows that added nothing new.</param>
public sealed record ImportResult(ImportKind Kind, int Rows, int PromptsCreated, int ResponsesCreated, int ComparisonsCreated, int Duplicates);

/// <summary>
/// Imports prompts, responses or ready pairs from JSONL or CSV into a project, all rows in one
/// transaction: the first bad row aborts the import with its file, line and field, and nothing is written.
/// Pairs may carry a known answer (<c>gold</c>: A, B, tie or both_bad; <c>gold_strength</c>: −3..3 with
/// −3 = A much better), which makes them gold items.
/// </summary>
public sealed class ImportService(AlignStore store)
{
    /// <summary>Imports a file, its format chosen by extension (.jsonl/.ndjson/.json or .csv).</summary>
    public ImportResult ImportFile(long projectId, ImportKind kind, string path)
    {
        using var stream = File.OpenRead(path);
        return Import(projectId, kind, stream, Path.GetFileName(path));
    }

    /// <summary>Imports from a stream (e.g. an upload); <paramref name="fileName"/> picks the format and names the file in errors.</summary>
    public ImportResult Import(long projectId, ImportKind kind, Stream content, string fileName)
    {
        var format = ImportRows.FormatOf(fileName);
        var name = Path.GetFileName(fileName);
        return store.Write((connection, transaction) =>
        {
            var project = ProjectService.Load(connection, transaction, projectId);
            var writer = new Writer(connection, transaction, project, store.NowText());
            var rows = 0;
            foreach (var row in ImportRows.Read(content, name, format))
            {
                rows++;
                var before = writer.Total;
                switch (kind)
                {
                    case ImportKind.Prompts:
                        writer.Prompt(row.Required("prompt"));
                        break;
                    case ImportKind.Responses:
                        writer.Response(writer.Prompt(row.Required("prompt")), row.RequiredOrAlias("response", "completion"), row.Optional("model"), row.Optional("artifact"));
                        break;
                    case ImportKind.Pairs:
                        ImportPair(writer, row);
                        break;
                    default:
                        throw new ArgumentOutOfRangeException(nameof(kind), kind, null);
                }
                if (writer.Total == before)
                    writer.Duplicates++;
            }
            return new ImportResult(kind, rows, writer.Prompts, writer.Responses, writer.Comparisons, writer.Duplicates);
        });
    }

    private static void ImportPair(Writer writer, ImportRow row)
    {
        var prompt = row.Required("prompt");
        var textA = row.Required("response_a");
        var textB = row.Required("response_b");
        var modelA = row.Optional("model_a");
        var modelB = row.Optional("model_b");
        Outcome? gold = null;
        var goldStrength = 0;
        if (row.Optional("gold") is { } goldText)
        {
            if (!OutcomeCodes.TryParse(goldText, out var parsed))
                throw row.Error("gold", $"is '{goldText}'; expected A, B, tie or both_bad");
            gold = parsed;
            if (row.Optional("gold_strength", numberAllowed: true) is { } strengthText)
            {
                if (!int.TryParse(strengthText, out goldStrength) || goldStrength is < -3 or > 3)
                    throw row.Error("gold_strength", $"is '{strengthText}'; expected an integer from -3 to 3");
                if ((parsed == Outcome.A && goldStrength > 0) || (parsed == Outcome.B && goldStrength < 0) ||
                    (parsed is Outcome.Tie or Outcome.BothBad && goldStrength != 0))
                    throw row.Error("gold_strength", $"{goldStrength} disagrees with gold {parsed.ToCode()} (negative favours A, positive B, 0 for tie and both_bad)");
            }
        }
        else if (row.Optional("gold_strength", numberAllowed: true) is not null)
        {
            throw row.Error("gold", "is missing but gold_strength is given");
        }
        if (textA == textB && modelA == modelB)
            throw row.Error("response_b", "is identical to \"response_a\"");

        var promptId = writer.Prompt(prompt);
        var a = writer.Response(promptId, textA, modelA, row.Optional("artifact_a"));
        var b = writer.Response(promptId, textB, modelB, row.Optional("artifact_b"));
        writer.Comparison(promptId, a, b, gold, goldStrength);
    }

    /// <summary>Find-or-create helpers over one transaction, counting what they create.</summary>
    private sealed class Writer(DbConnection connection, DbTransaction transaction, Project project, string now)
    {
        public int Prompts { get; private set; }
        public int Responses { get; private set; }
        public int Comparisons { get; private set; }
        public int Duplicates { get; set; }
        public int Total => Prompts + Responses + Comparisons;

        public long Prompt(string text)
        {
            var existing = connection.ExecuteScalar<long?>(
                "SELECT id FROM prompts WHERE project_id = @Id AND text = @text", new { project.Id, text }, transaction);
            if (existing is long id)
                return id;
            Prompts++;
            return connection.ExecuteScalar<long>(
                "INSERT INTO prompts (project_id, text, created_at) VALUES (@Id, @text, @now) RETURNING id",
                new { project.Id, text, now }, transaction);
        }

        public long Response(long promptId, string text, string? model, string? artifact)
        {
            var existing = connection.ExecuteScalar<long?>(
                "SELECT id FROM responses WHERE prompt_id = @promptId AND text = @text AND model IS NOT DISTINCT FROM @model LIMIT 1",
                new { promptId, text, model }, transaction);
            if (existing is long id)
                return id;
            Responses++;
            return connection.ExecuteScalar<long>(
                "INSERT INTO responses (prompt_id, text, model, artifact, created_at) VALUES (@promptId, @text, @model, @artifact, @now) RETURNING id",
                new { promptId, text, model, artifact, now }, transaction);
        }

        public void Comparison(long promptId, long a, long b, Outcome? gold, int goldStrength)
        {
            if (ComparisonExists(connection, transaction, project.Id, a, b))
                return;
            Comparisons++;
            connection.Execute(
                """
                INSERT INTO comparisons (project_id, prompt_id, response_a_id, response_b_id, is_gold, gold_outcome, gold_strength, remaining, created_at)
                VALUES (@ProjectId, @promptId, @a, @b, @isGold, @goldOutcome, @goldStrength, @OverlapK, @now)
                """,
                new
                {
                    ProjectId = project.Id, promptId, a, b, isGold = gold is not null ? 1L : 0L, goldOutcome = gold?.ToCode(),
                    goldStrength = gold is null ? (int?)null : goldStrength, project.OverlapK, now,
                }, transaction);
        }
    }

    /// <summary>Whether the pair (in either order) is already a comparison of the project.</summary>
    internal static bool ComparisonExists(DbConnection connection, DbTransaction transaction, long projectId, long a, long b) =>
        connection.ExecuteScalar<long>(
            """
            SELECT COUNT(1) FROM comparisons
            WHERE project_id = @projectId AND ((response_a_id = @a AND response_b_id = @b) OR (response_a_id = @b AND response_b_id = @a))
            """, new { projectId, a, b }, transaction) > 0;
}
