using Alignment.Tokenizers.Pipeline;
using Alignment.Tokenizers.PreTokenizers;
using Microsoft.ML.Tokenizers;

namespace Alignment.Tokenizers.Models;

/// <summary>
/// A byte-level BPE encoded by Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/> (<c>ByteLevel = true</c>): the
/// library maps each word to its UTF-8 bytes in GPT-2's byte alphabet and applies the ranked merges. It is given
/// pre-tokenized words (our pre-tokenizers cut the text, see the project README), and Llama 3's
/// <c>ignore_merges</c> is applied in front of it: a word that is itself a token is that token. Words' ids are
/// cached as in our own BPE (the library's cache is slower for this use).
/// </summary>
internal sealed class LibraryByteLevelBpe : IWordModel
{
    private readonly BpeTokenizer _bpe;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly bool _ignoreMerges;
    private readonly WordCache _cache = new();

    private LibraryByteLevelBpe(BpeModel model, Dictionary<string, int> vocab)
    {
        Vocab = vocab;
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _ignoreMerges = model.IgnoreMerges;
        _bpe = BpeTokenizer.Create(new BpeOptions(vocab)
        {
            Merges = model.Merges.Select(m => m.Left + " " + m.Right),
            ByteLevel = true,
        });
    }

    public TokenizerPath Path => TokenizerPath.LibraryByteLevelBpe;
    public IReadOnlyDictionary<string, int> Vocab { get; }
    public string? UnkToken => null;

    /// <summary>The library's BPE for <paramref name="model"/> when it gives Hugging Face's ids, else the reason it cannot.</summary>
    /// <param name="byteLevel">The pre-tokenizer ends in GPT-2's byte-level step.</param>
    public static LibraryByteLevelBpe? TryCreate(BpeModel model, bool byteLevel, out string? reason)
    {
        reason = model.ByteFallback ? "byte_fallback is set (the library's BPE has no byte fallback)"
            : !byteLevel ? "the pre-tokenizer does not end in a ByteLevel step (our use of the library's BPE is byte-level only)"
            : model.ContinuingSubwordPrefix is not null ? "continuing_subword_prefix is set (the library's byte-level BPE ignores it)"
            : model.EndOfWordSuffix is not null ? "end_of_word_suffix is set (the library's byte-level BPE ignores it)"
            : ByteLevelAlphabet.ByteToChar.Any(c => !model.Vocab.ContainsKey(c.ToString()))
                ? "the vocabulary lacks some of the 256 byte characters (Hugging Face drops such bytes, the library does not)"
            : model.Merges.Any(m => m.Left.Contains(' ') || m.Right.Contains(' '))
                ? "a merge holds a space (the library reads merges as \"left right\" lines)"
            : null;
        if (reason is not null) return null;
        var vocab = model.Vocab as Dictionary<string, int> ?? new Dictionary<string, int>(model.Vocab, StringComparer.Ordinal);
        return new LibraryByteLevelBpe(model, vocab);
    }

    public void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty) return;
        if (_cache.TryAppend(word, output)) return;
        if (_ignoreMerges && word.Length <= 256)
        {
            Span<char> mapped = stackalloc char[word.Length * 3];
            int n = ByteLevelPreTokenizer.Write(word, mapped);
            if (_vocabBySpan.TryGetValue(mapped[..n], out int whole))
            {
                output.Add(whole);
                return;
            }
        }
        _cache.AddAndAppend(word, _bpe.EncodeToIds(word, considerPreTokenization: false, considerNormalization: false).ToArray(), output);
    }
}
