using System.Globalization;
using Alignment.Torch;
using Alignment.Training.Config;
using Alignment.Training.Trainers;

namespace Alignment.Training.Rewards;

/// <summary>What one batch of completions scored: each reward function's scores and their weighted sum.</summary>
public sealed record RewardScores(double[] Total, IReadOnlyList<(string Name, double[] Scores)> PerFunction)
{
    /// <summary>TRL's per-function metrics: <c>rewards/&lt;name&gt;/mean</c> and <c>/std</c> (unbiased, as torch.std).</summary>
    public IEnumerable<KeyValuePair<string, double>> Metrics() => PerFunction.SelectMany(f => new KeyValuePair<string, double>[]
    {
        new($"rewards/{f.Name}/mean", f.Scores.Average()), new($"rewards/{f.Name}/std", Std(f.Scores)),
    });

    /// <summary>Unbiased standard deviation (0 for fewer than two values).</summary>
    public static double Std(IReadOnlyCollection<double> x)
    {
        if (x.Count < 2) return 0;
        double mean = x.Average();
        return Math.Sqrt(x.Sum(v => (v - mean) * (v - mean)) / (x.Count - 1));
    }
}

/// <summary>
/// TRL's reward_funcs + reward_weights: the reward of a completion is Σ wᵢ·rᵢ over the reward functions (weights default
/// to 1). <c>reward_funcs</c> is a comma-separated list of <c>kind:argument</c> entries: <c>model:FOLDER</c> is a reward
/// model (sequence classification over the policy's tokenizer) and <c>rules:FILE</c> a rule file of the rule judge,
/// which the workflow layer provides through a <see cref="Factory"/>.
/// </summary>
public sealed class WeightedRewards : IDisposable
{
    /// <summary>Makes the reward function of an entry kind this layer does not know (e.g. <c>rules</c>); null: unknown kind.</summary>
    public delegate IRewardFunction? Factory(string kind, string argument);

    private readonly List<IDisposable> owned;

    public WeightedRewards(IReadOnlyList<IRewardFunction> functions, IReadOnlyList<double>? weights = null, List<IDisposable>? owned = null)
    {
        if (functions.Count == 0) throw new ConfigException("option 'reward_funcs' names no reward function");
        weights ??= functions.Select(_ => 1.0).ToList();
        if (weights.Count != functions.Count)
            throw new ConfigException($"option 'reward_weights' has {weights.Count} weights for {functions.Count} reward functions; give one per reward_funcs entry");
        var duplicate = functions.GroupBy(f => f.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ConfigException($"option 'reward_funcs': two reward functions are named '{duplicate.Key}'");
        Functions = functions;
        Weights = weights;
        this.owned = owned ?? [];
    }

    public IReadOnlyList<IRewardFunction> Functions { get; }
    public IReadOnlyList<double> Weights { get; }

    public RewardScores Score(IReadOnlyList<RewardInput> completions)
    {
        var total = new double[completions.Count];
        var per = new List<(string, double[])>();
        for (int f = 0; f < Functions.Count; f++)
        {
            var scores = Functions[f].Score(completions);
            if (scores.Length != completions.Count) throw new TrainingException($"reward function '{Functions[f].Name}' returned {scores.Length} scores for {completions.Count} completions");
            for (int i = 0; i < total.Length; i++)
            {
                if (!double.IsFinite(scores[i])) throw new TrainingException($"reward function '{Functions[f].Name}' gave a non-finite score ({scores[i]})");
                total[i] += Weights[f] * scores[i];
            }
            per.Add((Functions[f].Name, scores));
        }
        return new RewardScores(total, per);
    }

    /// <summary>Builds the reward functions of <paramref name="rewardFuncs"/> with <paramref name="rewardWeights"/>
    /// (comma-separated numbers; empty = all 1). A reward model is named <c>reward_model</c> (then
    /// <c>reward_model_2</c>, ...); other kinds come from <paramref name="factory"/>.</summary>
    public static WeightedRewards Build(string? rewardFuncs, string? rewardWeights, ScalarType dtype, int padId, int batchSize, Factory? factory)
    {
        var entries = (rewardFuncs ?? "").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (entries.Length == 0) throw new ConfigException("option 'reward_funcs' is required: e.g. rules:rules.json or model:rm-folder (comma-separated, weighted by reward_weights)");
        var functions = new List<IRewardFunction>();
        var owned = new List<IDisposable>();
        try
        {
            foreach (var entry in entries)
            {
                int colon = entry.IndexOf(':');
                if (colon <= 0 || colon == entry.Length - 1)
                    throw new ConfigException($"option 'reward_funcs': entry '{entry}' is not kind:argument (model:FOLDER or rules:FILE)");
                string kind = entry[..colon].Trim().ToLowerInvariant(), argument = entry[(colon + 1)..].Trim();
                if (kind == "model")
                {
                    if (!Directory.Exists(argument)) throw new ConfigException($"option 'reward_funcs': reward model folder {argument} does not exist");
                    var scorer = RewardModelScorer.Load(argument, dtype, padId, batchSize);
                    owned.Add(scorer);
                    int n = functions.Count(f => f.Name.StartsWith("reward_model", StringComparison.Ordinal));
                    functions.Add(new ModelReward(n == 0 ? "reward_model" : $"reward_model_{n + 1}", scorer));
                }
                else
                {
                    functions.Add(factory?.Invoke(kind, argument)
                                  ?? throw new ConfigException($"option 'reward_funcs': unknown reward kind '{kind}' in '{entry}' (model:FOLDER, rules:FILE)"));
                }
            }
            return new WeightedRewards(functions, ParseWeights(rewardWeights), owned);
        }
        catch
        {
            foreach (var o in owned) o.Dispose();
            throw;
        }
    }

    /// <summary>reward_weights as numbers (null when empty).</summary>
    public static List<double>? ParseWeights(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return null;
        var weights = new List<double>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!double.TryParse(part, NumberStyles.Float, CultureInfo.InvariantCulture, out double w) || !double.IsFinite(w))
                throw new ConfigException($"option 'reward_weights': '{part}' is not a number");
            weights.Add(w);
        }
        return weights;
    }

    public void Dispose()
    {
        foreach (var o in owned) o.Dispose();
    }
}
