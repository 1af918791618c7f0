namespace Alignment.Tokenizers.Training;

/// <summary>
/// The words being merged and the counts of their adjacent pairs, updated incrementally: a merge
/// visits only the words that contain the pair (an index from pair to words), and a max-heap with
/// lazy invalidation yields the most frequent pair.
/// </summary>
internal sealed class PairState
{
    private readonly List<int>[] _words;
    private readonly long[] _wordCounts;
    private readonly Dictionary<long, long> _pairCounts = new();
    private readonly Dictionary<long, List<int>> _pairWords = new();
    // Max count first, then the smaller pair (older tokens): priority (-count, pair) ascending.
    private readonly PriorityQueue<long, (long NegCount, long Pair)> _heap = new();

    public PairState(List<(int[] Symbols, long Count)> words)
    {
        _words = new List<int>[words.Count];
        _wordCounts = new long[words.Count];
        for (int w = 0; w < words.Count; w++)
        {
            _words[w] = new List<int>(words[w].Symbols);
            _wordCounts[w] = words[w].Count;
            var symbols = _words[w];
            for (int i = 0; i + 1 < symbols.Count; i++)
            {
                long pair = Key(symbols[i], symbols[i + 1]);
                _pairCounts[pair] = _pairCounts.GetValueOrDefault(pair) + words[w].Count;
                AddWord(pair, w);
            }
        }
        foreach (var (pair, count) in _pairCounts)
            _heap.Enqueue(pair, (-count, pair));
    }

    /// <summary>The most frequent pair with at least <paramref name="minFrequency"/> occurrences, or null.</summary>
    public (int Left, int Right)? PopBest(int minFrequency)
    {
        while (_heap.TryDequeue(out long pair, out var priority))
        {
            long current = _pairCounts.GetValueOrDefault(pair);
            if (current != -priority.NegCount)
            {
                // Stale entry: requeue with the current count (when the pair still exists).
                if (current > 0) _heap.Enqueue(pair, (-current, pair));
                continue;
            }
            if (current < Math.Max(1, minFrequency)) return null;
            return ((int)(pair >> 32), (int)(uint)pair);
        }
        return null;
    }

    /// <summary>Replaces every (left, right) occurrence, left to right, by <paramref name="newId"/> and updates the pair counts.</summary>
    public void Merge(int left, int right, int newId)
    {
        long merged = Key(left, right);
        if (!_pairWords.TryGetValue(merged, out var where)) return;
        var touched = new HashSet<long>();
        foreach (int w in where.Distinct().ToArray())
        {
            var s = _words[w];
            long count = _wordCounts[w];
            for (int i = 0; i + 1 < s.Count; i++)
            {
                if (s[i] != left || s[i + 1] != right) continue;
                if (i > 0) Change(Key(s[i - 1], left), -count, touched);
                if (i + 2 < s.Count) Change(Key(right, s[i + 2]), -count, touched);
                Change(merged, -count, touched);
                s[i] = newId;
                s.RemoveAt(i + 1);
                if (i > 0) { Change(Key(s[i - 1], newId), count, touched); AddWord(Key(s[i - 1], newId), w); }
                if (i + 1 < s.Count) { Change(Key(newId, s[i + 1]), count, touched); AddWord(Key(newId, s[i + 1]), w); }
            }
        }
        _pairWords.Remove(merged);
        foreach (long pair in touched)
        {
            long c = _pairCounts.GetValueOrDefault(pair);
            if (c > 0) _heap.Enqueue(pair, (-c, pair));
        }
    }

    private void Change(long pair, long delta, HashSet<long> touched)
    {
        long c = _pairCounts.GetValueOrDefault(pair) + delta;
        if (c == 0) _pairCounts.Remove(pair);
        else _pairCounts[pair] = c;
        touched.Add(pair);
    }

    private void AddWord(long pair, int word)
    {
        if (!_pairWords.TryGetValue(pair, out var list)) _pairWords[pair] = list = new List<int>();
        if (list.Count == 0 || list[^1] != word) list.Add(word);
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}
