using System.Buffers;

namespace Alignment.Tokenizers.Pipeline;

/// <summary>A stretch of input: either plain text or one added token (with any whitespace it strips).</summary>
internal readonly record struct Segment(int Start, int Length, AddedToken? Token);

/// <summary>
/// Finds added tokens in text, leftmost-longest like Hugging Face's Aho-Corasick matcher, honoring
/// <c>single_word</c>, <c>lstrip</c> and <c>rstrip</c>.
/// </summary>
internal sealed class AddedTokenMatcher
{
    private sealed class Node
    {
        public Dictionary<char, Node>? Children;
        public AddedToken? Token;
    }

    private readonly Node _root = new();
    private readonly SearchValues<char> _firstChars;

    public AddedTokenMatcher(IEnumerable<(string Pattern, AddedToken Token)> tokens)
    {
        var first = new HashSet<char>();
        foreach (var (pattern, token) in tokens)
        {
            if (pattern.Length == 0) continue;
            var node = _root;
            foreach (char c in pattern)
            {
                node.Children ??= new Dictionary<char, Node>();
                if (!node.Children.TryGetValue(c, out var child))
                    node.Children[c] = child = new Node();
                node = child;
            }
            node.Token ??= token;
            first.Add(pattern[0]);
        }
        _firstChars = SearchValues.Create(first.ToArray());
        IsEmpty = first.Count == 0;
    }

    public bool IsEmpty { get; }

    /// <summary>Cuts <paramref name="text"/> into segments covering it entirely, in order.</summary>
    public void Split(ReadOnlySpan<char> text, List<Segment> output)
    {
        output.Clear();
        int emitted = 0;
        int i = 0;
        while (!IsEmpty && i < text.Length)
        {
            int next = text[i..].IndexOfAny(_firstChars);
            if (next < 0) break;
            i += next;
            var (token, length) = LongestAt(text, i);
            if (token is null)
            {
                i++;
                continue;
            }
            int start = i, stop = i + length;
            i = stop; // like find_iter: the next search starts after this match, even when it is discarded
            if (token.SingleWord && (EndsWithWordChar(text[..start]) || StartsWithWordChar(text[stop..])))
                continue;
            if (token.LStrip)
            {
                int s = start;
                while (s > emitted && char.IsWhiteSpace(text[s - 1])) s--;
                start = s;
            }
            if (token.RStrip)
                while (stop < text.Length && char.IsWhiteSpace(text[stop])) stop++;
            if (start > emitted) output.Add(new Segment(emitted, start - emitted, null));
            output.Add(new Segment(start, stop - start, token));
            emitted = stop;
            i = stop;
        }
        if (emitted < text.Length) output.Add(new Segment(emitted, text.Length - emitted, null));
    }

    private (AddedToken? Token, int Length) LongestAt(ReadOnlySpan<char> text, int at)
    {
        var node = _root;
        AddedToken? best = null;
        int bestLength = 0;
        for (int j = at; j < text.Length; j++)
        {
            if (node.Children is null || !node.Children.TryGetValue(text[j], out node)) break;
            if (node.Token is not null)
            {
                best = node.Token;
                bestLength = j - at + 1;
            }
        }
        return (best, bestLength);
    }

    private static bool IsWordChar(char c) =>
        char.IsLetterOrDigit(c) || c == '_' || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark
            or System.Globalization.UnicodeCategory.SpacingCombiningMark or System.Globalization.UnicodeCategory.ConnectorPunctuation;

    private static bool EndsWithWordChar(ReadOnlySpan<char> s) => s.Length > 0 && IsWordChar(s[^1]);
    private static bool StartsWithWordChar(ReadOnlySpan<char> s) => s.Length > 0 && IsWordChar(s[0]);
}
