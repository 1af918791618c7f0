using Alignment.Data.Statistics;
using Alignment.Training.Evaluation;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// Policy and baseline answers against reference answers, as changes with 95% intervals: ROUGE-1/2/L F1 (rouge-score's
/// definitions, default tokenizer, no stemming) and exact match per prompt with the paired t interval; corpus BLEU
/// (sacreBLEU's defaults) and chrF2 with a paired bootstrap interval (1,000 resamples of the prompts, seed 0: each
/// resample recomputes both corpus scores from the same prompts' statistics, and the interval is the 2.5th–97.5th
/// percentile of their difference). All are better when higher; BLEU and chrF are on the 0–100 scale.
/// </summary>
public static class TextMetricChanges
{
    public const int Resamples = 1000;

    public static IReadOnlyList<MetricChange> Of(IReadOnlyList<string> policy, IReadOnlyList<string> baseline, IReadOnlyList<string> references)
    {
        if (policy.Count != references.Count || baseline.Count != references.Count)
            throw new ArgumentException($"{references.Count} references but {policy.Count} policy and {baseline.Count} baseline answers");
        var p = policy.Select((a, i) => Rouge.Score(a, references[i])).ToList();
        var b = baseline.Select((a, i) => Rouge.Score(a, references[i])).ToList();
        var changes = new List<MetricChange>
        {
            MetricChange.Paired("ROUGE-1 F1", "metric", Better.Higher, "value", p.Select(s => s.Rouge1.F1).ToList(), b.Select(s => s.Rouge1.F1).ToList()),
            MetricChange.Paired("ROUGE-2 F1", "metric", Better.Higher, "value", p.Select(s => s.Rouge2.F1).ToList(), b.Select(s => s.Rouge2.F1).ToList()),
            MetricChange.Paired("ROUGE-L F1", "metric", Better.Higher, "value", p.Select(s => s.RougeL.F1).ToList(), b.Select(s => s.RougeL.F1).ToList()),
            MetricChange.Paired("exact match", "metric", Better.Higher, "rate",
                policy.Select((a, i) => ExactMatch.Matches(a, references[i]) ? 1.0 : 0.0).ToList(),
                baseline.Select((a, i) => ExactMatch.Matches(a, references[i]) ? 1.0 : 0.0).ToList()),
        };
        var bleuP = policy.Select((a, i) => Bleu.Statistics(a, references[i])).ToList();
        var bleuB = baseline.Select((a, i) => Bleu.Statistics(a, references[i])).ToList();
        changes.Add(Bootstrapped("BLEU", references.Count, rows => Bleu.Corpus(rows.Select(i => bleuP[i])).Score, rows => Bleu.Corpus(rows.Select(i => bleuB[i])).Score));
        var chrfP = policy.Select((a, i) => Chrf.Statistics(a, references[i])).ToList();
        var chrfB = baseline.Select((a, i) => Chrf.Statistics(a, references[i])).ToList();
        changes.Add(Bootstrapped("chrF2", references.Count, rows => Chrf.Corpus(rows.Select(i => chrfP[i])), rows => Chrf.Corpus(rows.Select(i => chrfB[i]))));
        return changes;
    }

    /// <summary>A corpus-level metric of both systems with the paired percentile-bootstrap interval of their difference.</summary>
    public static MetricChange Bootstrapped(string name, int count, Func<IReadOnlyList<int>, double> policy, Func<IReadOnlyList<int>, double> baseline)
    {
        var all = Enumerable.Range(0, count).ToList();
        double ps = count == 0 ? double.NaN : policy(all), bs = count == 0 ? double.NaN : baseline(all);
        var interval = count < 2
            ? new Interval(double.NaN, double.NaN)
            : Bootstrap.Percentile(all, rows => [policy(rows) - baseline(rows)], Resamples, seed: 0)[0];
        return new MetricChange
        {
            Name = name, Kind = "metric", Better = Better.Higher, Unit = "value", Count = count, Policy = ps, Baseline = bs, Delta = ps - bs,
            Low = interval.Lower, High = interval.Upper, Method = "paired bootstrap",
        };
    }
}
