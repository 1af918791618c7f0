using Alignment.Tokenizers.Json;
using Alignment.Tokenizers.Pipeline;
using Alignment.Tokenizers.PreTokenizers;

namespace Alignment.Tokenizers.Training;

/// <summary>
/// Learns a byte-level BPE vocabulary (GPT-2 / Llama 3 style) from a corpus.
/// </summary>
/// <remarks>
/// The corpus is cut at special tokens and by the split regex; each piece is a word of UTF-8 bytes,
/// counted once per distinct piece. Starting from the 256 byte tokens (id = byte value), the most
/// frequent adjacent pair is merged into a new token, repeatedly. Pair counts are kept up to date
/// incrementally: a merge only revisits the words that contain the pair. Ties are broken
/// deterministically, as in Hugging Face's trainer: among pairs of equal count, the one with the
/// smaller (left id, right id) wins, that is the pair of older tokens (bytes by value, then merged
/// tokens in creation order). The same corpus and options always give the same tokenizer.
/// </remarks>
public static class BpeTrainer
{
    public static TrainedBpe Train(IEnumerable<string> corpus, BpeTrainerOptions options)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);

        var words = CountWords(corpus, options);
        var tokens = new List<string>(options.VocabSize);
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (char c in ByteLevelAlphabet.ByteToChar)
        {
            ids[c.ToString()] = tokens.Count;
            tokens.Add(c.ToString());
        }

        var state = new PairState(words);
        var merges = new List<(string, string)>();
        int target = options.VocabSize - options.SpecialTokens.Count;
        while (tokens.Count < target && state.PopBest(options.MinFrequency) is { } best)
        {
            var (left, right) = best;
            string merged = tokens[left] + tokens[right];
            if (!ids.TryGetValue(merged, out int newId))
            {
                newId = tokens.Count;
                ids[merged] = newId;
                tokens.Add(merged);
            }
            merges.Add((tokens[left], tokens[right]));
            state.Merge(left, right, newId);
        }
        return new TrainedBpe(tokens, merges, options);
    }

    private static void Validate(BpeTrainerOptions options)
    {
        int minimum = 256 + options.SpecialTokens.Count;
        if (options.VocabSize < minimum)
            throw new ArgumentException($"VocabSize {options.VocabSize} is too small: the 256 byte tokens and {options.SpecialTokens.Count} special tokens need {minimum}", nameof(options));
        if (options.SpecialTokens.Any(string.IsNullOrEmpty) || options.SpecialTokens.Distinct().Count() != options.SpecialTokens.Count)
            throw new ArgumentException("SpecialTokens must be distinct and non-empty", nameof(options));
        foreach (var (name, value) in new[] { ("BosToken", options.BosToken), ("EosToken", options.EosToken), ("PadToken", options.PadToken) })
            if (value is not null && !options.SpecialTokens.Contains(value))
                throw new ArgumentException($"{name} '{value}' is not one of the SpecialTokens", nameof(options));
    }

    /// <summary>Distinct pre-tokenized words (as byte ids) and how often each occurs.</summary>
    private static List<(int[] Symbols, long Count)> CountWords(IEnumerable<string> corpus, BpeTrainerOptions options)
    {
        var regex = PatternRegex.Compile(options.SplitPattern, new JsonCursor(default, "BpeTrainerOptions", "SplitPattern"));
        var specials = new AddedTokenMatcher(options.SpecialTokens.Select((t, i) => (t, new AddedToken(i, t, true))));
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var segments = new List<Segment>();
        var matches = new List<(int Start, int Length)>();
        char[] buffer = new char[256];
        foreach (string text in corpus)
        {
            if (string.IsNullOrEmpty(text)) continue;
            specials.Split(text, segments);
            foreach (var seg in segments)
            {
                if (seg.Token is not null) continue;
                var span = text.AsSpan(seg.Start, seg.Length);
                regex.Matches(span, matches);
                foreach (var (start, length) in matches)
                {
                    var piece = span.Slice(start, length);
                    int max = piece.Length * 3;
                    if (buffer.Length < max) buffer = new char[Math.Max(max, buffer.Length * 2)];
                    int n = ByteLevelPreTokenizer.Write(piece, buffer);
                    var word = buffer.AsSpan(0, n);
                    lookup[word] = lookup.TryGetValue(word, out long c) ? c + 1 : 1;
                }
            }
        }

        // Sorted so that the word order, and with it everything after, does not depend on hashing.
        return counts
            .OrderBy(kv => kv.Key, StringComparer.Ordinal)
            .Select(kv => (kv.Key.Select(ch => ByteLevelAlphabet.TryGetByte(ch, out byte b) ? (int)b : throw new InvalidOperationException()).ToArray(), kv.Value))
            .ToList();
    }
}
