namespace Alignment.Training.Evaluation;

/// <summary>
/// One hypothesis' BLEU sufficient statistics against its one reference, after trailing whitespace is removed and
/// <see cref="Tokenizer13a"/> tokenizes (sacreBLEU's preprocessing, case kept): for each n-gram order 1..4 the clipped
/// matches and the hypothesis' n-gram count, and both token counts. Corpus BLEU sums these over sentences, so any
/// resample of sentences (a bootstrap over prompts) gives its corpus score through
/// <see cref="Bleu.Corpus(IEnumerable{BleuStatistics})"/> without re-tokenizing.
/// </summary>
public sealed record BleuStatistics(IReadOnlyList<long> Matches, IReadOnlyList<long> Totals, long HypothesisLength, long ReferenceLength);

/// <summary>A corpus BLEU score and its parts, as sacreBLEU prints them.</summary>
/// <param name="Score">BLEU, 0–100.</param>
/// <param name="Precisions">The n-gram precisions for n = 1..4 in percent, after exp smoothing (the values BLEU multiplies).</param>
/// <param name="BrevityPenalty">exp(1 − r/h) when the hypotheses are shorter than the references (h &lt; r), else 1.</param>
/// <param name="Statistics">The summed statistics the score was computed from.</param>
public sealed record BleuScore(double Score, IReadOnlyList<double> Precisions, double BrevityPenalty, BleuStatistics Statistics);

/// <summary>
/// Corpus BLEU with sacreBLEU's defaults and one reference per hypothesis: 13a tokenization, mixed case, n-gram orders
/// 1..4, no effective order, brevity penalty over the corpus, and <c>exp</c> smoothing — the k-th order whose matches are
/// 0 gets precision 100 / (2^k · total) (k counts the zero-match orders so far). An order with no hypothesis n-grams at all
/// (every hypothesis shorter than n tokens) makes the score 0, as in sacreBLEU without effective order; so does an
/// empty corpus or one whose hypotheses are all empty.
/// </summary>
public static class Bleu
{
    public const int MaxOrder = 4;

    /// <summary>sacreBLEU's signature for these settings; the version field names this implementation, not sacreBLEU's.</summary>
    public const string Signature = "nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:alignment";

    public static BleuStatistics Statistics(string hypothesis, string reference)
    {
        var hyp = PythonWhitespace.Split(Tokenizer13a.Tokenize(PythonWhitespace.TrimEnd(hypothesis)));
        var refTokens = PythonWhitespace.Split(Tokenizer13a.Tokenize(PythonWhitespace.TrimEnd(reference)));
        var matches = new long[MaxOrder];
        var totals = new long[MaxOrder];
        for (int n = 1; n <= MaxOrder; n++)
        {
            matches[n - 1] = Ngrams.Overlap(Ngrams.Count(hyp, n), Ngrams.Count(refTokens, n));
            totals[n - 1] = Math.Max(hyp.Count - n + 1, 0);
        }
        return new BleuStatistics(matches, totals, hyp.Count, refTokens.Count);
    }

    /// <summary>Corpus BLEU of hypotheses against their references (same count, paired by index).</summary>
    public static BleuScore Corpus(IReadOnlyList<string> hypotheses, IReadOnlyList<string> references)
    {
        if (hypotheses.Count != references.Count)
            throw new ArgumentException($"{hypotheses.Count} hypotheses but {references.Count} references; BLEU needs one reference per hypothesis");
        return Corpus(hypotheses.Select((h, i) => Statistics(h, references[i])));
    }

    /// <summary>Corpus BLEU from per-sentence statistics (summed first, then scored).</summary>
    public static BleuScore Corpus(IEnumerable<BleuStatistics> sentences)
    {
        var matches = new long[MaxOrder];
        var totals = new long[MaxOrder];
        long hypLength = 0, refLength = 0;
        foreach (var s in sentences)
        {
            for (int n = 0; n < MaxOrder; n++)
            {
                matches[n] += s.Matches[n];
                totals[n] += s.Totals[n];
            }
            hypLength += s.HypothesisLength;
            refLength += s.ReferenceLength;
        }
        var sum = new BleuStatistics(matches, totals, hypLength, refLength);
        double bp = hypLength >= refLength ? 1 : hypLength > 0 ? Math.Exp(1 - (double)refLength / hypLength) : 0;
        var precisions = new double[MaxOrder];
        double smoothing = 1, logSum = 0;
        for (int n = 0; n < MaxOrder; n++)
        {
            if (totals[n] == 0) return new BleuScore(0, precisions, bp, sum);
            if (matches[n] == 0)
            {
                smoothing *= 2;
                precisions[n] = 100 / (smoothing * totals[n]);
            }
            else precisions[n] = 100.0 * matches[n] / totals[n];
            logSum += Math.Log(precisions[n]);
        }
        return new BleuScore(bp * Math.Exp(logSum / MaxOrder), precisions, bp, sum);
    }
}
