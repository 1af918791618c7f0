namespace Alignment.Tokenizers;

/// <summary>Which code encodes the words of a loaded tokenizer (<see cref="Tokenizer.EncodingPath"/>).</summary>
public enum TokenizerPath
{
    /// <summary>
    /// Microsoft.ML.Tokenizers' <c>BpeTokenizer</c> with <c>ByteLevel = true</c> (GPT-2, Llama 3, Qwen 2/3, the BPE
    /// trainer's output): a byte-level BPE without byte fallback, continuing-subword prefix or end-of-word suffix whose
    /// vocabulary holds all 256 byte characters.
    /// </summary>
    LibraryByteLevelBpe,

    /// <summary>
    /// Our own BPE model: everything else tokenizer.json's BPE allows (SentencePiece-style BPE with byte fallback as in
    /// Llama 2 and Mistral when the folder has no tokenizer.model, unk tokens, subword prefixes and suffixes), which the
    /// library's BPE cannot express.
    /// </summary>
    OwnBpe,

    /// <summary>Microsoft.ML.Tokenizers' <c>LlamaTokenizer</c>: a SentencePiece BPE <c>tokenizer.model</c> (Llama, Llama 2, Mistral).</summary>
    LibraryLlama,

    /// <summary>Microsoft.ML.Tokenizers' <c>SentencePieceTokenizer</c>: a SentencePiece Unigram <c>tokenizer.model</c>.</summary>
    LibrarySentencePiece,

    /// <summary>Microsoft.ML.Tokenizers' <c>TiktokenTokenizer</c>: a <c>.tiktoken</c> file (cl100k_base, o200k_base).</summary>
    LibraryTiktoken,
}
