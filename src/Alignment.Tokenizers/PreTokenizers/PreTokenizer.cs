using Alignment.Tokenizers.Json;
using Alignment.Tokenizers.Pipeline;

namespace Alignment.Tokenizers.PreTokenizers;

/// <summary>
/// tokenizer.json <c>pre_tokenizer</c>: cuts normalized text into the pieces ("words") that the model
/// encodes one by one; no token ever spans two pieces.
/// </summary>
internal abstract class PreTokenizer
{
    /// <summary>Reads <paramref name="input"/> and appends the resulting pieces to <paramref name="output"/>.</summary>
    public abstract void PreTokenize(List<Piece> input, List<Piece> output);

    /// <summary>Whether some step rewrites pieces in GPT-2's byte alphabet.</summary>
    public virtual bool MapsBytes => false;

    /// <summary>
    /// When the byte-level rewrite is the last thing this pre-tokenizer does, the same pre-tokenizer without it
    /// (for a model that maps bytes itself); otherwise null.
    /// </summary>
    public virtual PreTokenizer? WithoutFinalByteMapping() => null;

    public const string Supported = "Split, ByteLevel, Metaspace, Digits, Whitespace, WhitespaceSplit, Sequence";

    public static PreTokenizer? Load(JsonCursor json)
    {
        if (json.IsNull) return null;
        var type = json.Child("type");
        switch (type.GetString())
        {
            case "Split":
                return new SplitPreTokenizer(
                    ReplacePattern.Load(json),
                    ParseBehavior(json.Child("behavior")),
                    json.Optional("invert").GetBool(false));
            case "ByteLevel":
                return new ByteLevelPreTokenizer(
                    json.Optional("add_prefix_space").GetBool(true),
                    json.Optional("use_regex").GetBool(true));
            case "Metaspace":
                return MetaspacePreTokenizer.FromJson(json);
            case "Digits":
                return new DigitsPreTokenizer(json.Optional("individual_digits").GetBool(false));
            case "Whitespace":
                return new WhitespacePreTokenizer();
            case "WhitespaceSplit":
                return new WhitespaceSplitPreTokenizer();
            case "Sequence":
                return new SequencePreTokenizer(json.Child("pretokenizers").Items().Select(Load).OfType<PreTokenizer>().ToArray());
            case var other:
                throw type.Unsupported(other, Supported);
        }
    }

    private static SplitBehavior ParseBehavior(JsonCursor json) => json.GetString() switch
    {
        "Removed" => SplitBehavior.Removed,
        "Isolated" => SplitBehavior.Isolated,
        "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
        "MergedWithNext" => SplitBehavior.MergedWithNext,
        "Contiguous" => SplitBehavior.Contiguous,
        var other => throw json.Unsupported(other, "Removed, Isolated, MergedWithPrevious, MergedWithNext, Contiguous"),
    };
}

internal sealed class SequencePreTokenizer(PreTokenizer[] steps) : PreTokenizer
{
    public override bool MapsBytes => steps.Any(s => s.MapsBytes);

    public override PreTokenizer? WithoutFinalByteMapping() =>
        steps.Length > 0 && !steps[..^1].Any(s => s.MapsBytes) && steps[^1].WithoutFinalByteMapping() is { } last
            ? new SequencePreTokenizer([.. steps[..^1], last])
            : null;

    public override void PreTokenize(List<Piece> input, List<Piece> output)
    {
        if (steps.Length == 0)
        {
            output.AddRange(input);
            return;
        }
        var current = input;
        for (int i = 0; i < steps.Length; i++)
        {
            var next = i == steps.Length - 1 ? output : new List<Piece>(current.Count * 2);
            steps[i].PreTokenize(current, next);
            current = next;
        }
    }
}

/// <summary>Split on a literal or regex, with one of the five delimiter behaviors; <c>invert</c> splits on what does not match.</summary>
internal sealed class SplitPreTokenizer(ReplacePattern pattern, SplitBehavior behavior, bool invert) : PreTokenizer
{
    public override void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var matches = new List<(int Start, int Length)>();
        foreach (var piece in input)
        {
            pattern.Matches(piece.Text.Span, matches);
            Splitter.Split(piece, matches, behavior, invert, output);
        }
    }
}

/// <summary>Splits numbers from the rest: each digit alone, or runs of digits.</summary>
internal sealed class DigitsPreTokenizer(bool individualDigits) : PreTokenizer
{
    public override void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var matches = new List<(int Start, int Length)>();
        foreach (var piece in input)
        {
            matches.Clear();
            var span = piece.Text.Span;
            for (int i = 0; i < span.Length; i++)
                if (char.IsNumber(span[i])) matches.Add((i, 1));
            Splitter.Split(piece, matches, individualDigits ? SplitBehavior.Isolated : SplitBehavior.Contiguous, false, output);
        }
    }
}

/// <summary>Keeps runs of word characters and runs of other non-space characters, drops whitespace.</summary>
internal sealed partial class WhitespacePreTokenizer : PreTokenizer
{
    [System.Text.RegularExpressions.GeneratedRegex(@"\w+|[^\w\s]+")]
    private static partial System.Text.RegularExpressions.Regex Words();

    private readonly PatternRegex _regex = new(Words());

    public override void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var matches = new List<(int Start, int Length)>();
        foreach (var piece in input)
        {
            _regex.Matches(piece.Text.Span, matches);
            Splitter.Split(piece, matches, SplitBehavior.Removed, invert: true, output);
        }
    }
}

/// <summary>Splits on whitespace, which is dropped.</summary>
internal sealed class WhitespaceSplitPreTokenizer : PreTokenizer
{
    public override void PreTokenize(List<Piece> input, List<Piece> output)
    {
        var matches = new List<(int Start, int Length)>();
        foreach (var piece in input)
        {
            matches.Clear();
            var span = piece.Text.Span;
            for (int i = 0; i < span.Length; i++)
                if (char.IsWhiteSpace(span[i])) matches.Add((i, 1));
            Splitter.Split(piece, matches, SplitBehavior.Removed, false, output);
        }
    }
}
