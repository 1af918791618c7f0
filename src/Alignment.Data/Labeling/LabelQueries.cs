using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.Labeling;

/// <summary>One comparison with the texts of its prompt and two responses.</summary>
public sealed record ComparisonEntry(long Id, string Prompt, string ResponseA, string ResponseB, string? ModelA, string? ModelB);

/// <summary>One annotator's active judgment of a comparison, in the A/B frame (outcome code, strength).</summary>
public sealed record ActiveVote(long ComparisonId, string Annotator, string Outcome, int Strength);

/// <summary>The active judgments and adjudications of a set of comparisons, read together.</summary>
/// <param name="Votes">Every active judgment, with its annotator's name.</param>
/// <param name="Adjudications">The active adjudication of each adjudicated comparison.</param>
public sealed record ActiveLabels(IReadOnlyList<ActiveVote> Votes, IReadOnlyDictionary<long, Vote> Adjudications);

/// <summary>
/// Read-only queries on a project's comparisons and their labels for the workflow stages that snapshot them
/// (parameterized Dapper SQL, named columns).
/// </summary>
public sealed class LabelQueries(AlignStore store)
{
    /// <summary>The regular (non-gold) comparisons of a project, in id order.</summary>
    public IReadOnlyList<ComparisonEntry> RegularComparisons(long projectId) => store.Read(connection => connection.Query<ComparisonEntry>(
        """
        SELECT c.id AS Id, p.text AS Prompt, ra.text AS ResponseA, rb.text AS ResponseB, ra.model AS ModelA, rb.model AS ModelB
        FROM comparisons c
        JOIN prompts p ON p.id = c.prompt_id
        JOIN responses ra ON ra.id = c.response_a_id
        JOIN responses rb ON rb.id = c.response_b_id
        WHERE c.project_id = @projectId AND c.is_gold = 0
        ORDER BY c.id
        """, new { projectId }).ToList());

    /// <summary>The active judgments and adjudications of the comparisons <paramref name="comparisonIds"/>, read on one connection.</summary>
    public ActiveLabels Active(IReadOnlyCollection<long> comparisonIds) => store.Read(connection =>
    {
        var ids = comparisonIds.ToArray();
        var inIds = SqlLists.In(connection, "ids");
        var votes = connection.Query<(long ComparisonId, string Annotator, string Outcome, long Strength)>(
                $"""
                SELECT j.comparison_id, a.name, j.outcome, j.strength
                FROM judgments j JOIN annotators a ON a.id = j.annotator_id
                WHERE j.is_active = 1 AND j.comparison_id {inIds}
                """, new { ids })
            .Select(v => new ActiveVote(v.ComparisonId, v.Annotator, v.Outcome, (int)v.Strength)).ToList();
        var adjudications = connection.Query<(long ComparisonId, string Outcome, long Strength)>(
                $"SELECT comparison_id, outcome, strength FROM adjudications WHERE is_active = 1 AND comparison_id {inIds}", new { ids })
            .ToDictionary(a => a.ComparisonId, a => new Vote(OutcomeCodes.Parse(a.Outcome), (int)a.Strength));
        return new ActiveLabels(votes, adjudications);
    });
}
