using Microsoft.ML.Tokenizers;

namespace Alignment.Tokenizers.Normalizers;

/// <summary>
/// The normalizer a SentencePiece <c>tokenizer.model</c> carries (its precompiled character map such as nmt_nfkc,
/// extra-whitespace removal, the dummy ▁ prefix and ▁ for spaces), run by Microsoft.ML.Tokenizers. Used when a
/// folder has a tokenizer.model and no tokenizer.json. The library applies the character map only inside its
/// encoder (its <c>Normalizer</c> property leaves it out), so the normalized text is the one its encoder reports. A stretch that continues text (<c>EncodePieces</c>) gets no
/// dummy prefix, as Hugging Face's Prepend normalizer gives none there; where extra whitespace is removed, a
/// continuing stretch that starts with spaces keeps the one ▁ they collapse to.
/// </summary>
internal sealed class SentencePieceModelNormalizer(SentencePieceTokenizer library) : Normalizer
{
    private readonly bool _dropPrefixOnContinuation = library is { AddDummyPrefix: true, TreatWhitespaceAsSuffix: false };
    private readonly bool _collapsesSpaces = library.Normalizer is SentencePieceNormalizer { RemoveExtraWhiteSpaces: true };

    public override string Normalize(string text, bool isContinuation)
    {
        if (text.Length == 0) return text;
        library.EncodeToTokens(text, out string? reported, addBeginningOfSentence: false, addEndOfSentence: false,
                               considerPreTokenization: false, considerNormalization: true);
        string normalized = reported ?? text;
        bool keepPrefix = !isContinuation || !_dropPrefixOnContinuation || (_collapsesSpaces && text[0] == ' ');
        return keepPrefix || !normalized.StartsWith('\u2581') ? normalized : normalized[1..];
    }
}
