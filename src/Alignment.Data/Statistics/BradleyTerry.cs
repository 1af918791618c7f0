namespace Alignment.Data.Statistics;

/// <summary>One comparison between items <see cref="First"/> and <see cref="Second"/>.</summary>
/// <param name="First">Index of the first item.</param>
/// <param name="Second">Index of the second item.</param>
/// <param name="FirstScore">1 when the first won, 0 when the second won, 0.5 for a tie (half a win each side).</param>
public readonly record struct PairResult(int First, int Second, double FirstScore);

/// <summary>A Bradley–Terry fit.</summary>
/// <param name="Strengths">γ_i, scaled so that Σ γ = number of items; P(i beats j) = γ_i / (γ_i + γ_j).</param>
/// <param name="LogStrengths">θ_i = ln γ_i, centred to mean 0 over the items with a finite θ (−∞ for an item that never scored).</param>
/// <param name="Iterations">MM iterations run.</param>
/// <param name="Converged">Whether the largest change in θ fell below the tolerance.</param>
public sealed record BradleyTerryFit(double[] Strengths, double[] LogStrengths, int Iterations, bool Converged)
{
    /// <summary>The fitted probability that item <paramref name="i"/> beats item <paramref name="j"/>.</summary>
    public double WinProbability(int i, int j) => Strengths[i] / (Strengths[i] + Strengths[j]);

    /// <summary>θ on the Elo scale used by leaderboards: 1000 + 400·θ / ln 10.</summary>
    public static double ToElo(double logStrength) => 1000 + 400 * logStrength / Math.Log(10);
}

/// <summary>
/// Maximum-likelihood Bradley–Terry strengths by the MM algorithm of Hunter (2004), "MM algorithms for
/// generalized Bradley–Terry models", Ann. Statist. 32(1): γ_i ← W_i / Σ_j N_ij / (γ_i + γ_j), where W_i is
/// item i's score (wins, plus half of each tie) and N_ij the number of comparisons between i and j.
/// The MLE exists when the comparison graph is strongly connected in wins; otherwise the fit does not
/// converge (reported) — prior virtual ties per compared pair regularize it.
/// </summary>
public static class BradleyTerry
{
    /// <summary>Fits strengths for <paramref name="items"/> items from <paramref name="results"/>.</summary>
    /// <param name="items">Number of items (indexes 0..items−1).</param>
    /// <param name="results">The comparisons.</param>
    /// <param name="priorTies">Virtual ties added to every pair that was compared at least once (0 = pure MLE).</param>
    /// <param name="tolerance">Stop when no θ moves more than this.</param>
    /// <param name="maxIterations">Iteration cap.</param>
    public static BradleyTerryFit Fit(int items, IEnumerable<PairResult> results, double priorTies = 0, double tolerance = 1e-10, int maxIterations = 100_000)
    {
        var wins = new double[items];
        var games = new double[items, items];
        foreach (var r in results)
        {
            if (r.First == r.Second || (uint)r.First >= (uint)items || (uint)r.Second >= (uint)items)
                throw new ArgumentException($"Bad pair ({r.First}, {r.Second}) for {items} items.", nameof(results));
            if (r.FirstScore is < 0 or > 1)
                throw new ArgumentException($"Score {r.FirstScore} is not in [0, 1].", nameof(results));
            wins[r.First] += r.FirstScore;
            wins[r.Second] += 1 - r.FirstScore;
            games[r.First, r.Second] += 1;
            games[r.Second, r.First] += 1;
        }
        if (priorTies > 0)
        {
            for (var i = 0; i < items; i++)
            for (var j = i + 1; j < items; j++)
                if (games[i, j] > 0)
                {
                    games[i, j] += priorTies;
                    games[j, i] += priorTies;
                    wins[i] += priorTies / 2;
                    wins[j] += priorTies / 2;
                }
        }

        var gamma = Enumerable.Repeat(1.0, items).ToArray();
        var iterations = 0;
        var converged = items <= 1;
        while (!converged && iterations < maxIterations)
        {
            iterations++;
            var next = new double[items];
            for (var i = 0; i < items; i++)
            {
                var denominator = 0.0;
                for (var j = 0; j < items; j++)
                    if (j != i && games[i, j] > 0 && gamma[i] + gamma[j] > 0)
                        denominator += games[i, j] / (gamma[i] + gamma[j]);
                next[i] = denominator > 0 ? wins[i] / denominator : gamma[i];
            }
            var scale = items / next.Sum();
            var change = 0.0;
            for (var i = 0; i < items; i++)
            {
                next[i] *= scale;
                if (next[i] > 0 && gamma[i] > 0)
                    change = Math.Max(change, Math.Abs(Math.Log(next[i]) - Math.Log(gamma[i])));
                else if ((next[i] > 0) != (gamma[i] > 0))
                    change = double.PositiveInfinity;
            }
            gamma = next;
            converged = change < tolerance;
        }
        return new BradleyTerryFit(gamma, Centre(gamma), iterations, converged);
    }

    private static double[] Centre(double[] gamma)
    {
        var logs = gamma.Select(g => g > 0 ? Math.Log(g) : double.NegativeInfinity).ToArray();
        var finite = logs.Where(double.IsFinite).ToList();
        var mean = finite.Count == 0 ? 0 : finite.Average();
        return logs.Select(l => double.IsFinite(l) ? l - mean : l).ToArray();
    }
}
