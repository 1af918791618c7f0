namespace Alignment.Training.Evaluation;

/// <summary>
/// N-gram counting shared by ROUGE, BLEU and chrF: the n-grams of a token list (or of a string's characters) as a
/// multiset, and the clipped overlap Σ min(count in one, count in other) that all three metrics call matches.
/// </summary>
public static class Ngrams
{
    /// <summary>Counts of the n-grams of consecutive tokens. An n-gram's key is its tokens, each prefixed with its length
    /// ("3:the3:cat"), so no two different n-grams share a key whatever characters the tokens hold.</summary>
    public static Dictionary<string, int> Count(IReadOnlyList<string> tokens, int n)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i + n <= tokens.Count; i++)
        {
            string key = n == 1 ? tokens[i] : string.Concat(Enumerable.Range(i, n).Select(k => $"{tokens[k].Length}:{tokens[k]}"));
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts;
    }

    /// <summary>Σ over keys of min(a[key], b[key]).</summary>
    public static long Overlap(Dictionary<string, int> a, Dictionary<string, int> b)
    {
        var (small, large) = a.Count <= b.Count ? (a, b) : (b, a);
        long overlap = 0;
        foreach (var (key, count) in small)
            if (large.TryGetValue(key, out int other)) overlap += Math.Min(count, other);
        return overlap;
    }
}
