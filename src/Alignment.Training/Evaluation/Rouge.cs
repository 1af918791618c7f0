namespace Alignment.Training.Evaluation;

/// <summary>Precision, recall and F1 of one ROUGE variant for one answer against its reference.</summary>
/// <param name="Precision">Overlap ÷ the answer's n-grams (ROUGE-L: LCS length ÷ answer tokens).</param>
/// <param name="Recall">Overlap ÷ the reference's n-grams (ROUGE-L: LCS length ÷ reference tokens).</param>
/// <param name="F1">2PR / (P + R); 0 when both are 0.</param>
public readonly record struct RougeScore(double Precision, double Recall, double F1)
{
    public static RougeScore From(double precision, double recall) =>
        new(precision, recall, precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0);
}

/// <summary>ROUGE-1, ROUGE-2 and sentence-level ROUGE-L (not ROUGE-Lsum) of one answer against its reference.</summary>
public sealed record RougeScores(RougeScore Rouge1, RougeScore Rouge2, RougeScore RougeL);

/// <summary>
/// ROUGE as Google's <c>rouge-score</c> package computes it with <c>RougeScorer(["rouge1", "rouge2", "rougeL"])</c>:
/// <see cref="RougeTokenizer"/>, no stemming unless <c>stem</c> asks for it (like <c>use_stemmer=True</c>). ROUGE-N: the
/// overlap is Σ over the reference's n-grams of min(count in reference, count in answer); precision divides by the
/// answer's n-gram count and recall by the reference's (each at least 1, so an empty side scores 0). ROUGE-L: the
/// longest common subsequence of the two token lists over the answer's and the reference's token counts; 0 when
/// either is empty. Arguments come answer first, like BLEU's and chrF's here (rouge-score's <c>score(target,
/// prediction)</c> takes the reference first).
/// </summary>
public static class Rouge
{
    public static RougeScores Score(string answer, string reference, bool stem = false)
    {
        var a = RougeTokenizer.Tokenize(answer, stem);
        var r = RougeTokenizer.Tokenize(reference, stem);
        return new RougeScores(N(a, r, 1), N(a, r, 2), L(a, r));
    }

    public static RougeScore N(IReadOnlyList<string> answer, IReadOnlyList<string> reference, int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "ROUGE-N needs n ≥ 1");
        var referenceGrams = Ngrams.Count(reference, n);
        var answerGrams = Ngrams.Count(answer, n);
        long overlap = Ngrams.Overlap(answerGrams, referenceGrams);
        long answerTotal = Math.Max(answer.Count - n + 1, 0), referenceTotal = Math.Max(reference.Count - n + 1, 0);
        return RougeScore.From((double)overlap / Math.Max(answerTotal, 1), (double)overlap / Math.Max(referenceTotal, 1));
    }

    public static RougeScore L(IReadOnlyList<string> answer, IReadOnlyList<string> reference)
    {
        if (reference.Count == 0 || answer.Count == 0) return new RougeScore(0, 0, 0);
        int lcs = LongestCommonSubsequence(reference, answer);
        return RougeScore.From((double)lcs / answer.Count, (double)lcs / reference.Count);
    }

    /// <summary>Length of the longest common subsequence (dynamic programming, one row of O(|b|) memory).</summary>
    public static int LongestCommonSubsequence(IReadOnlyList<string> a, IReadOnlyList<string> b)
    {
        var previous = new int[b.Count + 1];
        var current = new int[b.Count + 1];
        for (int i = 1; i <= a.Count; i++)
        {
            for (int j = 1; j <= b.Count; j++)
                current[j] = a[i - 1] == b[j - 1] ? previous[j - 1] + 1 : Math.Max(previous[j], current[j - 1]);
            (previous, current) = (current, previous);
        }
        return previous[b.Count];
    }
}
