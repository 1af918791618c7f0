namespace Alignment.Tokenizers.Models;

/// <summary>
/// A SentencePiece vocabulary without pre-tokenizer is applied to whole stretches of text. When no token has a ▁
/// after another character, no token can span a cut made in front of a ▁ that follows another character, so cutting
/// there gives the same tokens (BPE's merges and Unigram's best segmentation never cross it), and the words can be cached.
/// </summary>
internal static class MetaspaceCut
{
    /// <summary>SentencePiece's word-start mark, written for spaces by the Metaspace step or the Prepend/Replace normalizers.</summary>
    public const char Metaspace = '\u2581';

    public delegate void WordEncoder(ReadOnlySpan<char> word, List<int> output);

    /// <summary>Whether cutting in front of inner ▁ keeps the tokens of <paramref name="tokens"/>' model.</summary>
    public static bool Applies(IEnumerable<string> tokens) =>
        tokens.Any(t => t.Contains(Metaspace)) && !tokens.Any(HasInnerMetaspace);

    /// <summary>Encodes <paramref name="text"/> word by word, cut in front of each ▁ that follows another character.</summary>
    public static void Encode(ReadOnlySpan<char> text, List<int> output, WordEncoder encode)
    {
        int start = 0;
        for (int i = 1; i < text.Length; i++)
        {
            if (text[i] != Metaspace || text[i - 1] == Metaspace) continue;
            encode(text[start..i], output);
            start = i;
        }
        encode(text[start..], output);
    }

    private static bool HasInnerMetaspace(string token)
    {
        for (int i = 1; i < token.Length; i++)
            if (token[i] == Metaspace && token[i - 1] != Metaspace) return true;
        return false;
    }
}
