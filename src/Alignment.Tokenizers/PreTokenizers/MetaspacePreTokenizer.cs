using Alignment.Tokenizers.Json;
using Alignment.Tokenizers.Pipeline;

namespace Alignment.Tokenizers.PreTokenizers;

/// <summary>When the Metaspace step writes its replacement character in front of a piece.</summary>
internal enum PrependScheme
{
    /// <summary>In front of every piece that does not start with it.</summary>
    Always,
    /// <summary>Only in front of the piece that starts the input.</summary>
    First,
    Never,
}

/// <summary>
/// SentencePiece's whitespace handling: spaces become the replacement character (▁), one is
/// prepended per <see cref="PrependScheme"/>, and with <c>split</c> the text is cut in front of each ▁.
/// </summary>
internal sealed class MetaspacePreTokenizer(char replacement, PrependScheme scheme, bool split) : PreTokenizer
{
    public char Replacement => replacement;
    public PrependScheme Scheme => scheme;

    public static MetaspacePreTokenizer FromJson(JsonCursor json)
    {
        var (replacement, scheme) = ReadCommon(json);
        return new MetaspacePreTokenizer(replacement, scheme, json.Optional("split").GetBool(true));
    }

    /// <summary>The fields the pre-tokenizer and the decoder share, with the legacy <c>add_prefix_space</c>.</summary>
    internal static (char Replacement, PrependScheme Scheme) ReadCommon(JsonCursor json)
    {
        var rep = json.Child("replacement");
        string r = rep.GetString();
        if (r.Length != 1) throw rep.Error("must be a single character");
        var schemeField = json.Optional("prepend_scheme");
        var scheme = schemeField.IsNull
            ? PrependScheme.Always
            : schemeField.GetString() switch
            {
                "always" => PrependScheme.Always,
                "first" => PrependScheme.First,
                "never" => PrependScheme.Never,
                var other => throw schemeField.Unsupported(other, "always, first, never"),
            };
        if (!json.Optional("add_prefix_space").GetBool(true)) scheme = PrependScheme.Never;
        return (r[0], scheme);
    }

    public override void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var matches = new List<(int Start, int Length)>();
        foreach (var piece in input)
        {
            var span = piece.Text.Span;
            bool prepend = !piece.IsContinuation && (scheme == PrependScheme.Always || (scheme == PrependScheme.First && piece.AtOrigin));
            if (span.Length > 0 && (span[0] == replacement || span[0] == ' ')) prepend = false;
            var text = new char[span.Length + (prepend ? 1 : 0)];
            int n = 0;
            if (prepend) text[n++] = replacement;
            foreach (char c in span) text[n++] = c == ' ' ? replacement : c;
            var rewritten = piece with { Text = text };

            if (!split)
            {
                output.Add(rewritten);
                continue;
            }
            matches.Clear();
            for (int i = 0; i < text.Length; i++)
                if (text[i] == replacement) matches.Add((i, 1));
            Splitter.Split(rewritten, matches, SplitBehavior.MergedWithNext, false, output);
        }
    }
}
