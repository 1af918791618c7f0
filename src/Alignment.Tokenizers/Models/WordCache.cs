using System.Collections.Concurrent;

namespace Alignment.Tokenizers.Models;

/// <summary>
/// Ids of words already encoded, looked up by span (no string per lookup); words of 256 characters and
/// more are not kept, and the cache stops growing at 200,000 words. Thread-safe.
/// </summary>
internal sealed class WordCache
{
    private const int Capacity = 200_000;
    private const int MaxWordLength = 256;

    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _bySpan;

    public WordCache() => _bySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();

    /// <summary>Appends the cached ids of <paramref name="word"/> to <paramref name="output"/>; false when not cached.</summary>
    public bool TryAppend(ReadOnlySpan<char> word, List<int> output)
    {
        if (!_bySpan.TryGetValue(word, out var ids)) return false;
        output.AddRange(ids);
        return true;
    }

    /// <summary>Appends <paramref name="ids"/>, just encoded for <paramref name="word"/>, and caches them.</summary>
    public void AddAndAppend(ReadOnlySpan<char> word, int[] ids, List<int> output)
    {
        output.AddRange(ids);
        if (word.Length < MaxWordLength && _cache.Count < Capacity)
            _bySpan.TryAdd(word, ids);
    }
}
