using System.Text;
using Alignment.Tokenizers.Json;
using Alignment.Tokenizers.Pipeline;

namespace Alignment.Tokenizers.Normalizers;

/// <summary>
/// tokenizer.json <c>normalizer</c>: rewrites each stretch of text between added tokens before
/// pre-tokenization.
/// </summary>
internal abstract class Normalizer
{
    /// <param name="text">A stretch of input between added tokens.</param>
    /// <param name="isContinuation">The stretch continues text encoded just before it, so nothing is prepended.</param>
    public abstract string Normalize(string text, bool isContinuation);

    public const string Supported = "NFC, NFD, NFKC, NFKD, Lowercase, Strip, Prepend, Replace, Sequence";

    public static Normalizer? Load(JsonCursor json)
    {
        if (json.IsNull) return null;
        var type = json.Child("type");
        return type.GetString() switch
        {
            "NFC" => new UnicodeNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Strip" => new StripNormalizer(json.Optional("left").GetBool(true), json.Optional("right").GetBool(true)),
            "Prepend" => new PrependNormalizer(json.Child("prepend").GetString()),
            "Replace" => new ReplaceNormalizer(ReplacePattern.Load(json), json.Child("content").GetString()),
            "Sequence" => new SequenceNormalizer(json.Child("normalizers").Items().Select(Load).OfType<Normalizer>().ToArray()),
            var other => throw type.Unsupported(other, Supported),
        };
    }
}

internal sealed class UnicodeNormalizer(NormalizationForm form) : Normalizer
{
    public override string Normalize(string text, bool isContinuation) =>
        text.IsNormalized(form) ? text : text.Normalize(form);
}

internal sealed class LowercaseNormalizer : Normalizer
{
    public override string Normalize(string text, bool isContinuation) => text.ToLowerInvariant();
}

internal sealed class StripNormalizer(bool left, bool right) : Normalizer
{
    public override string Normalize(string text, bool isContinuation) =>
        left && right ? text.Trim() : left ? text.TrimStart() : right ? text.TrimEnd() : text;
}

/// <summary>Prepends a string (SentencePiece's ▁) to every non-empty stretch that is not a continuation.</summary>
internal sealed class PrependNormalizer(string prepend) : Normalizer
{
    public override string Normalize(string text, bool isContinuation) =>
        text.Length == 0 || isContinuation ? text : prepend + text;
}

internal sealed class ReplaceNormalizer(ReplacePattern pattern, string content) : Normalizer
{
    public override string Normalize(string text, bool isContinuation) => pattern.Replace(text, content);
}

internal sealed class SequenceNormalizer(Normalizer[] normalizers) : Normalizer
{
    public override string Normalize(string text, bool isContinuation)
    {
        foreach (var n in normalizers)
            text = n.Normalize(text, isContinuation);
        return text;
    }
}
