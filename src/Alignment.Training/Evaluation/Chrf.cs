using System.Text;

namespace Alignment.Training.Evaluation;

/// <summary>
/// One hypothesis' chrF sufficient statistics against its one reference: for each character n-gram order 1..6 the
/// hypothesis' n-gram count, the reference's, and the clipped matches. Corpus chrF sums these over sentences, so a
/// bootstrap over prompts recomputes it through <see cref="Chrf.Corpus(IEnumerable{ChrfStatistics}, double, bool)"/>.
/// </summary>
public sealed record ChrfStatistics(IReadOnlyList<long> HypothesisNgrams, IReadOnlyList<long> ReferenceNgrams, IReadOnlyList<long> Matches);

/// <summary>
/// chrF as sacreBLEU computes it with its defaults (chrF2): character n-grams of orders 1..6 over Unicode code points,
/// no word n-grams, whitespace removed before counting, case kept, β = 2, one reference per hypothesis. Scoring: per
/// order, precision = matches ÷ hypothesis n-grams and recall = matches ÷ reference n-grams; the default averages
/// precision and recall over the orders that both sides have at all ("effective order"; an order one side lacks adds
/// nothing) and returns the F-β of the averages × 100 (0 when no order is effective). With <c>epsSmoothing</c> it instead averages the per-order F-β
/// scores over all 6 orders, an order missing on one side counting ε = 1e-16 for its precision/recall (the chrF++.py and
/// NLTK convention, sacreBLEU's <c>eps_smoothing=True</c>).
/// </summary>
public static class Chrf
{
    public const int CharOrder = 6;
    public const double DefaultBeta = 2;
    private const double Epsilon = 1e-16;

    /// <summary>sacreBLEU's chrF signature for these settings; the version field names this implementation.</summary>
    public static string Signature(bool epsSmoothing = false) =>
        $"nrefs:1|case:mixed|eff:{(epsSmoothing ? "no" : "yes")}|nc:{CharOrder}|nw:0|space:no|version:alignment";

    public static ChrfStatistics Statistics(string hypothesis, string reference)
    {
        var hyp = CodePoints(hypothesis);
        var refChars = CodePoints(reference);
        var hypCounts = new long[CharOrder];
        var refCounts = new long[CharOrder];
        var matches = new long[CharOrder];
        for (int n = 1; n <= CharOrder; n++)
        {
            hypCounts[n - 1] = Math.Max(hyp.Count - n + 1, 0);
            refCounts[n - 1] = Math.Max(refChars.Count - n + 1, 0);
            matches[n - 1] = Ngrams.Overlap(Ngrams.Count(hyp, n), Ngrams.Count(refChars, n));
        }
        return new ChrfStatistics(hypCounts, refCounts, matches);
    }

    /// <summary>Corpus chrF (0–100) of hypotheses against their references (same count, paired by index).</summary>
    public static double Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references, double beta = DefaultBeta, bool epsSmoothing = false)
    {
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references; chrF needs one reference per hypothesis");
        return Corpus(hypotheses.Select((h, i) => Statistics(h, references[i])), beta, epsSmoothing);
    }

    /// <summary>Corpus chrF (0–100) from per-sentence statistics (summed first, then scored).</summary>
    public static double Corpus(IEnumerable<ChrfStatistics> sentences, double beta = DefaultBeta, bool epsSmoothing = false)
    {
        if (!(beta > 0)) throw new ArgumentOutOfRangeException(nameof(beta), beta, "chrF's beta must be positive");
        var hyp = new long[CharOrder];
        var refs = new long[CharOrder];
        var matches = new long[CharOrder];
        foreach (var s in sentences)
            for (int n = 0; n < CharOrder; n++)
            {
                hyp[n] += s.HypothesisNgrams[n];
                refs[n] += s.ReferenceNgrams[n];
                matches[n] += s.Matches[n];
            }

        double b2 = beta * beta, fSum = 0, precisionSum = 0, recallSum = 0;
        int effective = 0;
        for (int n = 0; n < CharOrder; n++)
        {
            double precision = hyp[n] > 0 ? (double)matches[n] / hyp[n] : Epsilon;
            double recall = refs[n] > 0 ? (double)matches[n] / refs[n] : Epsilon;
            double denominator = b2 * precision + recall;
            fSum += denominator > 0 ? (1 + b2) * precision * recall / denominator : Epsilon;
            if (hyp[n] > 0 && refs[n] > 0) effective++;
            precisionSum += precision;
            recallSum += recall;
        }
        if (epsSmoothing) return 100 * fSum / CharOrder;
        if (effective == 0) return 0;
        double p = precisionSum / effective, r = recallSum / effective;
        return p + r > 0 ? 100 * (1 + b2) * p * r / (b2 * p + r) : 0;
    }

    /// <summary>The text's code points, whitespace (as Python's <c>str.split()</c> sees it) removed, each as a string.</summary>
    private static List<string> CodePoints(string text)
    {
        var points = new List<string>();
        foreach (var rune in string.Concat(PythonWhitespace.Split(text)).EnumerateRunes()) points.Add(rune.ToString());
        return points;
    }
}
