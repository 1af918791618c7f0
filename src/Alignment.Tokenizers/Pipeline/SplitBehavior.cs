namespace Alignment.Tokenizers.Pipeline;

/// <summary>
/// What happens to a delimiter match when splitting, as in Hugging Face's <c>SplitDelimiterBehavior</c>.
/// For <c>the-final--countdown</c> split on <c>-</c>: Removed <c>[the, final, countdown]</c>;
/// Isolated <c>[the, -, final, -, -, countdown]</c>; MergedWithPrevious <c>[the-, final-, -, countdown]</c>;
/// MergedWithNext <c>[the, -final, -, -countdown]</c>; Contiguous <c>[the, -, final, --, countdown]</c>.
/// </summary>
internal enum SplitBehavior
{
    Removed,
    Isolated,
    MergedWithPrevious,
    MergedWithNext,
    Contiguous,
}

internal static class Splitter
{
    /// <summary>
    /// Cuts <paramref name="piece"/> given the delimiter matches (start, length), in order and
    /// non-overlapping, and appends the resulting non-empty pieces to <paramref name="output"/>.
    /// </summary>
    public static void Split(Piece piece, List<(int Start, int Length)> matches, SplitBehavior behavior, bool invert, List<Piece> output)
    {
        int length = piece.Text.Length;
        // The piece as alternating (start, end, isDelimiter) spans covering it entirely.
        var spans = new List<(int Start, int End, bool Delimiter)>(matches.Count * 2 + 1);
        int cursor = 0;
        foreach (var (start, len) in matches)
        {
            if (len == 0) continue;
            if (start > cursor) spans.Add((cursor, start, invert));
            spans.Add((start, start + len, !invert));
            cursor = start + len;
        }
        if (cursor < length) spans.Add((cursor, length, invert));

        switch (behavior)
        {
            case SplitBehavior.Removed:
                foreach (var s in spans)
                    if (!s.Delimiter) output.Add(piece.Slice(s.Start, s.End - s.Start));
                break;
            case SplitBehavior.Isolated:
                foreach (var s in spans)
                    output.Add(piece.Slice(s.Start, s.End - s.Start));
                break;
            case SplitBehavior.Contiguous:
                for (int i = 0; i < spans.Count; i++)
                {
                    int start = spans[i].Start, end = spans[i].End;
                    while (spans[i].Delimiter && i + 1 < spans.Count && spans[i + 1].Delimiter)
                        end = spans[++i].End;
                    output.Add(piece.Slice(start, end - start));
                }
                break;
            case SplitBehavior.MergedWithPrevious:
            {
                int start = 0;
                foreach (var s in spans)
                {
                    if (!s.Delimiter) continue;
                    output.Add(piece.Slice(start, s.End - start));
                    start = s.End;
                }
                if (start < length) output.Add(piece.Slice(start, length - start));
                break;
            }
            case SplitBehavior.MergedWithNext:
            {
                int start = 0;
                for (int i = 0; i < spans.Count; i++)
                {
                    if (spans[i].Delimiter && spans[i].Start > start)
                    {
                        output.Add(piece.Slice(start, spans[i].Start - start));
                        start = spans[i].Start;
                    }
                }
                if (start < length) output.Add(piece.Slice(start, length - start));
                break;
            }
        }
    }
}
