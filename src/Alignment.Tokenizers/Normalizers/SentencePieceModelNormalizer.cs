using Microsoft.ML.Tokenizers;

namespace Alignment.Tokenizers.Normalizers;

/// <summary>
/// The normalizer a SentencePiece <c>tokenizer.model</c> carries (its precompiled character map such as nmt_nfkc,
/// extra-whitespace removal, the dummy ▁ prefix and ▁ for spaces), run by Microsoft.ML.Tokenizers. Used when a
/// folder has a tokenizer.model and no tokenizer.json. The library applies a precompiled character map only inside its
/// encoder (its <c>Normalizer</c> property leaves it out), so with one the normalized text is the one its encoder
/// reports (the text is then encoded twice); without one (Llama's "identity") its <c>Normalizer</c> is used. A stretch that continues text (<c>EncodePieces</c>) gets no
/// dummy prefix, as Hugging Face's Prepend normalizer gives none there; where extra whitespace is removed, a
/// continuing stretch that starts with spaces keeps the one ▁ they collapse to.
/// </summary>
internal sealed class SentencePieceModelNormalizer(SentencePieceTokenizer library, bool hasCharsMap) : Normalizer
{
    private readonly bool _dropPrefixOnContinuation = library is { AddDummyPrefix: true, TreatWhitespaceAsSuffix: false };
    private readonly bool _collapsesSpaces = library.Normalizer is SentencePieceNormalizer { RemoveExtraWhiteSpaces: true };

    public override string Normalize(string text, bool isContinuation)
    {
        if (text.Length == 0) return text;
        string normalized;
        if (hasCharsMap || library.Normalizer is null)
        {
            library.EncodeToTokens(text, out string? reported, addBeginningOfSentence: false, addEndOfSentence: false,
                                   considerPreTokenization: false, considerNormalization: true);
            normalized = reported ?? text;
        }
        else
        {
            normalized = library.Normalizer.Normalize(text);
        }
        bool keepPrefix = !isContinuation || !_dropPrefixOnContinuation || (_collapsesSpaces && text[0] == ' ');
        return keepPrefix || !normalized.StartsWith('\u2581') ? normalized : normalized[1..];
    }
}
