using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.Review;

/// <summary>One annotator's active judgment, as an admin reviewing a disagreement sees it (A/B frame).</summary>
/// <param name="JudgmentId">The judgment.</param>
/// <param name="Annotator">The annotator's name.</param>
/// <param name="Outcome">A, B, tie or both_bad.</param>
/// <param name="Strength">−3 = A much better … +3 = B much better.</param>
/// <param name="Rationale">The annotator's rationale, if any.</param>
public sealed record ReviewVote(long JudgmentId, string Annotator, Outcome Outcome, int Strength, string? Rationale);

/// <summary>A comparison whose annotators disagree on the outcome (admin-facing: model names included).</summary>
/// <param name="ComparisonId">The comparison.</param>
/// <param name="Prompt">The prompt.</param>
/// <param name="ResponseA">Response A's text.</param>
/// <param name="ResponseB">Response B's text.</param>
/// <param name="ModelA">The model behind A, if known.</param>
/// <param name="ModelB">The model behind B, if known.</param>
/// <param name="Votes">The active judgments.</param>
/// <param name="Settled">The active adjudication's outcome, or null while unsettled.</param>
public sealed record Disagreement(long ComparisonId, string Prompt, string ResponseA, string ResponseB, string? ModelA, string? ModelB,
    IReadOnlyList<ReviewVote> Votes, Outcome? Settled);

/// <summary>Lists disagreements and records an admin's settling judgment (the latest one is active; earlier ones are superseded, never deleted).</summary>
public sealed class AdjudicationService(AlignStore store)
{
    /// <summary>Comparisons with at least two active judgments that differ in outcome, oldest first.</summary>
    public IReadOnlyList<Disagreement> ListDisagreements(long projectId, bool includeSettled = false) => store.Read(connection =>
    {
        Projects.ProjectService.Load(connection, null, projectId);
        var ids = connection.Query<long>(
            """
            SELECT j.comparison_id FROM judgments j JOIN comparisons c ON c.id = j.comparison_id
            WHERE c.project_id = @projectId AND j.is_active = 1
            GROUP BY j.comparison_id
            HAVING COUNT(1) >= 2 AND COUNT(DISTINCT j.outcome) >= 2
            ORDER BY j.comparison_id
            """, new { projectId }).ToList();
        var result = new List<Disagreement>();
        foreach (var id in ids)
        {
            var head = connection.QuerySingle<(string Prompt, string TextA, string TextB, string? ModelA, string? ModelB, string? Settled)>(
                """
                SELECT p.text, ra.text, rb.text, ra.model, rb.model,
                       (SELECT ad.outcome FROM adjudications ad WHERE ad.comparison_id = c.id AND ad.is_active = 1)
                FROM comparisons c JOIN prompts p ON p.id = c.prompt_id
                JOIN responses ra ON ra.id = c.response_a_id JOIN responses rb ON rb.id = c.response_b_id
                WHERE c.id = @id
                """, new { id });
            if (head.Settled is not null && !includeSettled)
                continue;
            var votes = connection.Query<(long Id, string Name, string Outcome, long Strength, string? Rationale)>(
                """
                SELECT j.id, a.name, j.outcome, j.strength, j.rationale
                FROM judgments j JOIN annotators a ON a.id = j.annotator_id
                WHERE j.comparison_id = @id AND j.is_active = 1 ORDER BY j.id
                """, new { id }).Select(v => new ReviewVote(v.Id, v.Name, OutcomeCodes.Parse(v.Outcome), (int)v.Strength, v.Rationale)).ToList();
            result.Add(new Disagreement(id, head.Prompt, head.TextA, head.TextB, head.ModelA, head.ModelB, votes,
                head.Settled is null ? null : OutcomeCodes.Parse(head.Settled)));
        }
        return result;
    });

    /// <summary>
    /// Settles a comparison with an admin's outcome and strength (A/B frame, −3 = A much better), which
    /// overrides the annotators in exports. Throws <see cref="ForbiddenException"/> for non-admins.
    /// Returns the adjudication id.
    /// </summary>
    public long Adjudicate(long comparisonId, long adminId, Outcome outcome, int strength, string? note = null)
    {
        if (strength is < -3 or > 3 || (outcome == Outcome.A && strength > 0) || (outcome == Outcome.B && strength < 0) ||
            (outcome is Outcome.Tie or Outcome.BothBad && strength != 0))
            throw new InvalidRequestException($"strength {strength} does not fit outcome {outcome.ToCode()} (−3..0 for A, 0..3 for B, 0 for tie and both_bad).");
        return store.Write((connection, transaction) =>
        {
            var admin = AnnotatorService.Load(connection, transaction, adminId);
            if (admin.Role != AnnotatorRole.Admin || !admin.IsActive)
                throw new ForbiddenException($"Only an admin can adjudicate; {admin.Name} is not one.");
            if (connection.ExecuteScalar<long?>("SELECT id FROM comparisons WHERE id = @comparisonId", new { comparisonId }, transaction) is null)
                throw new NotFoundException("comparison", comparisonId);
            var previous = connection.ExecuteScalar<long?>(
                "SELECT id FROM adjudications WHERE comparison_id = @comparisonId AND is_active = 1", new { comparisonId }, transaction);
            if (previous is not null)
                connection.Execute("UPDATE adjudications SET is_active = 0 WHERE id = @previous", new { previous }, transaction);
            var id = connection.ExecuteScalar<long>(
                """
                INSERT INTO adjudications (comparison_id, admin_id, outcome, strength, note, is_active, created_at)
                VALUES (@comparisonId, @adminId, @Outcome, @strength, @note, 1, @Now) RETURNING id
                """, new { comparisonId, adminId, Outcome = outcome.ToCode(), strength, note, Now = store.NowText() }, transaction);
            if (previous is not null)
                connection.Execute("UPDATE adjudications SET superseded_by = @id WHERE id = @previous", new { id, previous }, transaction);
            return id;
        });
    }
}
