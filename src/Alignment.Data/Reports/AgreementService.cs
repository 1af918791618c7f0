using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Statistics;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.Reports;

/// <summary>Computes agreement (Cohen's κ per pair, Fleiss' κ, Krippendorff's α) and gold accuracy from a project's active judgments.</summary>
public sealed class AgreementService(AlignStore store)
{
    private static readonly Outcome[] Categories = [Outcome.A, Outcome.B, Outcome.Tie, Outcome.BothBad];

    /// <summary>The report for one project.</summary>
    public AgreementReport Compute(long projectId)
    {
        var (k, judgments, gold) = store.Read(connection =>
        {
            var project = ProjectService.Load(connection, null, projectId);
            var rows = connection.Query<(long ComparisonId, string Annotator, string Outcome, long Strength)>(
                """
                SELECT j.comparison_id, a.name, j.outcome, j.strength
                FROM judgments j JOIN comparisons c ON c.id = j.comparison_id JOIN annotators a ON a.id = j.annotator_id
                WHERE c.project_id = @projectId AND j.is_active = 1
                ORDER BY j.comparison_id, a.name
                """, new { projectId }).Select(r => new Judged(r.ComparisonId, r.Annotator, OutcomeCodes.Parse(r.Outcome), (int)r.Strength)).ToList();
            var goldAnswers = connection.Query<(long Id, string Outcome)>(
                "SELECT id, gold_outcome FROM comparisons WHERE project_id = @projectId AND is_gold = 1",
                new { projectId }).ToDictionary(g => g.Id, g => OutcomeCodes.Parse(g.Outcome));
            return (project.OverlapK, rows, goldAnswers);
        });
        return Build(k, judgments, gold);
    }

    /// <summary>One active judgment, in the A/B frame.</summary>
    /// <param name="ComparisonId">The comparison.</param>
    /// <param name="Annotator">The annotator's name.</param>
    /// <param name="Outcome">The outcome.</param>
    /// <param name="Strength">The signed strength.</param>
    public sealed record Judged(long ComparisonId, string Annotator, Outcome Outcome, int Strength);

    /// <summary>The report from judgments already loaded (pure; <paramref name="goldAnswers"/> maps gold comparison ids to their outcome).</summary>
    public static AgreementReport Build(int overlapK, IReadOnlyList<Judged> judgments, IReadOnlyDictionary<long, Outcome> goldAnswers)
    {
        var byComparison = judgments.GroupBy(j => j.ComparisonId).Select(g => g.ToList()).ToList();
        return new AgreementReport(
            PairwiseKappa(byComparison),
            Defined(Fleiss(byComparison, overlapK, out var fleissItems)),
            fleissItems,
            Defined(KrippendorffAlpha.FromUnits(byComparison.Select(u => (IReadOnlyList<double>)u.Select(j => (double)Array.IndexOf(Categories, j.Outcome)).ToList()).ToList(), MeasurementLevel.Nominal)),
            Defined(KrippendorffAlpha.FromUnits(byComparison.Select(u => (IReadOnlyList<double>)u.Select(j => (double)j.Strength).ToList()).ToList(), MeasurementLevel.Ordinal)),
            byComparison.Count(u => u.Count >= 2),
            judgments.Where(j => goldAnswers.ContainsKey(j.ComparisonId))
                .GroupBy(j => j.Annotator)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
                .Select(g => new GoldAccuracy(g.Key, g.Count(), g.Count(j => goldAnswers[j.ComparisonId] == j.Outcome)))
                .ToList());
    }

    private static List<PairAgreement> PairwiseKappa(List<List<Judged>> byComparison)
    {
        var tables = new Dictionary<(string, string), long[,]>();
        foreach (var unit in byComparison)
        for (var x = 0; x < unit.Count; x++)
        for (var y = x + 1; y < unit.Count; y++)
        {
            var (first, second) = string.CompareOrdinal(unit[x].Annotator, unit[y].Annotator) < 0 ? (unit[x], unit[y]) : (unit[y], unit[x]);
            var key = (first.Annotator, second.Annotator);
            if (!tables.TryGetValue(key, out var table))
                tables[key] = table = new long[Categories.Length, Categories.Length];
            table[Array.IndexOf(Categories, first.Outcome), Array.IndexOf(Categories, second.Outcome)]++;
        }
        return tables.OrderBy(t => t.Key.Item1, StringComparer.Ordinal).ThenBy(t => t.Key.Item2, StringComparer.Ordinal).Select(t =>
        {
            long items = 0, agree = 0;
            for (var i = 0; i < Categories.Length; i++)
            for (var j = 0; j < Categories.Length; j++)
            {
                items += t.Value[i, j];
                if (i == j) agree += t.Value[i, j];
            }
            return new PairAgreement(t.Key.Item1, t.Key.Item2, (int)items, (double)agree / items, Defined(CohensKappa.FromTable(t.Value)));
        }).ToList();
    }

    private static double Fleiss(List<List<Judged>> byComparison, int k, out int items)
    {
        var complete = byComparison.Where(u => u.Count == k).ToList();
        items = complete.Count;
        if (k < 2 || complete.Count == 0)
            return double.NaN;
        var counts = new long[complete.Count, Categories.Length];
        for (var i = 0; i < complete.Count; i++)
            foreach (var judged in complete[i])
                counts[i, Array.IndexOf(Categories, judged.Outcome)]++;
        return FleissKappa.Compute(counts);
    }

    private static double? Defined(double value) => double.IsFinite(value) ? value : null;
}
