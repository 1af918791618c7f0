using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Statistics;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Data.Reports;

/// <summary>Options for the model leaderboard.</summary>
/// <param name="Resamples">Bootstrap resamples for the intervals (default 1000).</param>
/// <param name="Seed">Bootstrap seed; the same seed and data give the same intervals (default 0).</param>
/// <param name="PriorTies">
/// Virtual ties added per compared model pair, so a model that never won (or never lost) still gets a finite
/// rating (default 0.5; 0 gives the pure maximum-likelihood fit).
/// </param>
/// <param name="Confidence">Interval coverage (default 0.95).</param>
public sealed record LeaderboardOptions(int Resamples = 1000, int Seed = 0, double PriorTies = 0.5, double Confidence = 0.95);

/// <summary>One model's row.</summary>
/// <param name="Model">The model name as recorded on its responses.</param>
/// <param name="Rating">Bradley–Terry strength on the Elo scale (1000 + 400·θ/ln 10, θ centred over the models).</param>
/// <param name="Lower">Lower end of the bootstrap interval (Elo scale); NaN when no resample could rate the model.</param>
/// <param name="Upper">Upper end of the bootstrap interval (Elo scale).</param>
/// <param name="Battles">Judgments that involved the model.</param>
/// <param name="Wins">Judgments it won.</param>
/// <param name="Losses">Judgments it lost.</param>
/// <param name="Ties">Ties and both_bad (each half a win for each side).</param>
public sealed record LeaderboardEntry(string Model, double Rating, double Lower, double Upper, int Battles, int Wins, int Losses, int Ties);

/// <summary>
/// Ranks the models behind a project's responses with a Bradley–Terry fit (MM algorithm) over every active
/// judgment on a comparison between two different models: a win is a win, a tie or both_bad is half a win
/// each side. Intervals come from a seeded percentile bootstrap over the judgments.
/// </summary>
public sealed class LeaderboardService(AlignStore store)
{
    /// <summary>The leaderboard, best first.</summary>
    public IReadOnlyList<LeaderboardEntry> Compute(long projectId, LeaderboardOptions? options = null)
    {
        var battles = store.Read(connection =>
        {
            ProjectService.Load(connection, null, projectId);
            return connection.Query<(string ModelA, string ModelB, string Outcome)>(
                """
                SELECT ra.model, rb.model, j.outcome
                FROM judgments j
                JOIN comparisons c ON c.id = j.comparison_id
                JOIN responses ra ON ra.id = c.response_a_id
                JOIN responses rb ON rb.id = c.response_b_id
                WHERE c.project_id = @projectId AND j.is_active = 1
                  AND ra.model IS NOT NULL AND rb.model IS NOT NULL AND ra.model <> rb.model
                """, new { projectId }).Select(b => (b.ModelA, b.ModelB, Outcome: OutcomeCodes.Parse(b.Outcome))).ToList();
        });
        return Rank(battles, options ?? new LeaderboardOptions());
    }

    /// <summary>The leaderboard from battles already loaded (pure).</summary>
    public static IReadOnlyList<LeaderboardEntry> Rank(IReadOnlyList<(string ModelA, string ModelB, Outcome Outcome)> battles, LeaderboardOptions options)
    {
        var models = battles.SelectMany(b => new[] { b.ModelA, b.ModelB }).Distinct().Order(StringComparer.Ordinal).ToArray();
        if (models.Length == 0)
            return [];
        var index = models.Select((m, i) => (m, i)).ToDictionary(x => x.m, x => x.i);
        var results = battles.Select(b => new PairResult(index[b.ModelA], index[b.ModelB], b.Outcome switch
        {
            Outcome.A => 1.0,
            Outcome.B => 0.0,
            _ => 0.5,
        })).ToArray();

        double[] Ratings(IReadOnlyList<PairResult> sample)
        {
            var present = new bool[models.Length];
            foreach (var r in sample) { present[r.First] = true; present[r.Second] = true; }
            var fit = BradleyTerry.Fit(models.Length, sample, options.PriorTies, tolerance: 1e-10, maxIterations: 10_000);
            return fit.LogStrengths.Select((theta, i) => present[i] ? BradleyTerryFit.ToElo(theta) : double.NaN).ToArray();
        }

        var point = Ratings(results);
        var intervals = Bootstrap.Percentile(results, Ratings, options.Resamples, options.Seed, options.Confidence);
        return models.Select((model, i) =>
        {
            int wins = 0, losses = 0, ties = 0;
            foreach (var r in results)
            {
                if (r.First != i && r.Second != i) continue;
                var score = r.First == i ? r.FirstScore : 1 - r.FirstScore;
                if (score == 1) wins++; else if (score == 0) losses++; else ties++;
            }
            return new LeaderboardEntry(model, point[i], intervals[i].Lower, intervals[i].Upper, wins + losses + ties, wins, losses, ties);
        }).OrderByDescending(e => e.Rating).ToList();
    }
}
