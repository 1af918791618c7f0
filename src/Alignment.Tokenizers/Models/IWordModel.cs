namespace Alignment.Tokenizers.Models;

/// <summary>tokenizer.json's <c>model</c>: encodes one pre-tokenized word to ids.</summary>
internal interface IWordModel
{
    TokenizerPath Path { get; }

    /// <summary>Token string to id, as tokenizer.json's <c>model.vocab</c> writes them.</summary>
    IReadOnlyDictionary<string, int> Vocab { get; }

    string? UnkToken { get; }

    /// <summary>Appends the ids of one pre-tokenized word to <paramref name="output"/>.</summary>
    void Tokenize(ReadOnlySpan<char> word, List<int> output);
}
