using System.Text;
using System.Text.RegularExpressions;
using Alignment.Tokenizers.Pipeline;

namespace Alignment.Tokenizers.PreTokenizers;

/// <summary>
/// GPT-2's byte-level step: optionally a leading space and GPT-2's own split regex, then every
/// piece is rewritten as its UTF-8 bytes in <see cref="ByteLevelAlphabet"/> characters, unless
/// <paramref name="mapBytes"/> is false because the model does that itself (Microsoft.ML.Tokenizers'
/// byte-level BPE).
/// </summary>
internal sealed partial class ByteLevelPreTokenizer(bool addPrefixSpace, bool useRegex, bool mapBytes = true) : PreTokenizer
{
    public override bool MapsBytes => mapBytes;

    public override PreTokenizer? WithoutFinalByteMapping() =>
        mapBytes ? new ByteLevelPreTokenizer(addPrefixSpace, useRegex, mapBytes: false) : null;

    [GeneratedRegex(@"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+", RegexOptions.CultureInvariant)]
    private static partial Regex Gpt2Pattern();

    private static readonly PatternRegex Gpt2 = new(Gpt2Pattern());

    public override void PreTokenize(List<Piece> input, List<Piece> output)
    {
        List<(int Start, int Length)>? matches = useRegex ? new() : null;
        List<Piece>? split = useRegex ? new() : null;
        foreach (var original in input)
        {
            var piece = original;
            if (addPrefixSpace && !piece.IsContinuation && !piece.Text.Span.StartsWith(' '))
                piece = piece with { Text = (" " + piece.Text.Span.ToString()).AsMemory() };

            if (!useRegex)
            {
                output.Add(mapBytes ? MapToBytes(piece) : piece);
                continue;
            }
            Gpt2.Matches(piece.Text.Span, matches!);
            if (!mapBytes)
            {
                Splitter.Split(piece, matches!, SplitBehavior.Isolated, false, output);
                continue;
            }
            split!.Clear();
            Splitter.Split(piece, matches!, SplitBehavior.Isolated, false, split);
            MapToBytes(split, output);
        }
    }

    private static Piece MapToBytes(Piece piece)
    {
        var buffer = new char[Encoding.UTF8.GetByteCount(piece.Text.Span)];
        int written = Write(piece.Text.Span, buffer);
        return piece with { Text = buffer.AsMemory(0, written) };
    }

    /// <summary>Maps pieces that came from one text into one shared buffer.</summary>
    private static void MapToBytes(List<Piece> pieces, List<Piece> output)
    {
        int total = 0;
        foreach (var p in pieces) total += Encoding.UTF8.GetByteCount(p.Text.Span);
        var buffer = new char[total];
        int at = 0;
        foreach (var p in pieces)
        {
            int written = Write(p.Text.Span, buffer.AsSpan(at));
            output.Add(p with { Text = buffer.AsMemory(at, written) });
            at += written;
        }
    }

    /// <summary>Writes the byte-level characters of <paramref name="text"/>; returns how many.</summary>
    internal static int Write(ReadOnlySpan<char> text, Span<char> destination)
    {
        var map = ByteLevelAlphabet.ByteToChar;
        int n = 0;
        int i = 0;
        // ASCII runs map directly; anything else goes through UTF-8.
        while (i < text.Length && text[i] < 0x80)
            destination[n++] = map[text[i++]];
        if (i == text.Length) return n;

        var rest = text[i..];
        int byteCount = Encoding.UTF8.GetByteCount(rest);
        Span<byte> bytes = byteCount <= 512 ? stackalloc byte[byteCount] : new byte[byteCount];
        Encoding.UTF8.GetBytes(rest, bytes);
        foreach (byte b in bytes)
            destination[n++] = map[b];
        return n;
    }
}
