using Microsoft.ML.Tokenizers;

namespace Alignment.Tokenizers.Models;

/// <summary>
/// A SentencePiece <c>tokenizer.model</c> encoded by Microsoft.ML.Tokenizers: <see cref="LlamaTokenizer"/> for a
/// BPE model (Llama, Llama 2, Mistral), <see cref="SentencePieceTokenizer"/> for a Unigram one. It is given text
/// already normalized (<see cref="Normalizers.SentencePieceModelNormalizer"/>, or tokenizer.json's normalizer when
/// the folder has one), so it only segments; adding BOS/EOS is left to the post-processor.
/// </summary>
/// <remarks>
/// SentencePiece merges a run of unknown pieces into one <c>&lt;unk&gt;</c> (sentencepiece_processor.cc: "Merges
/// continuous run of unknown pieces"), and so does Hugging Face's BPE with <c>fuse_unk</c>; the library emits one per
/// character, so runs are fused here. Stretches are cut into words as <see cref="MetaspaceCut"/> allows and each
/// word's ids are cached, as our own BPE does (the library encodes a whole stretch at once, about 1 MB/s on English).
/// </remarks>
internal sealed class LibrarySentencePiece : IWordModel
{
    private readonly SentencePieceTokenizer _model;
    private readonly int _unkId;
    private readonly bool _cut;
    private readonly WordCache _cache = new();

    private LibrarySentencePiece(SentencePieceTokenizer model, TokenizerPath path, bool hasCharsMap)
    {
        HasCharsMap = hasCharsMap;
        _model = model;
        Path = path;
        Vocab = model.Vocabulary;
        _unkId = model.UnknownId;
        UnkToken = model.UnknownToken;
        _cut = MetaspaceCut.Applies(Vocab.Keys);
    }

    public TokenizerPath Path { get; }
    public IReadOnlyDictionary<string, int> Vocab { get; }
    public string? UnkToken { get; }

    /// <summary>The model's normalizer has a precompiled character map (nmt_nfkc and the like; Llama's is "identity").</summary>
    public bool HasCharsMap { get; }

    /// <summary>The library's tokenizer, for its normalizer and special pieces.</summary>
    public SentencePieceTokenizer Library => _model;

    /// <summary>Reads a tokenizer.model; what the library cannot read is an error naming the file.</summary>
    public static LibrarySentencePiece Load(string file)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(file);
        }
        catch (IOException e)
        {
            throw new TokenizerException($"{file}: cannot read: {e.Message}", e);
        }
        var (modelType, hasCharsMap) = ModelSpec(bytes, file);
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            return modelType switch
            {
                Bpe => new LibrarySentencePiece(LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false), TokenizerPath.LibraryLlama, hasCharsMap),
                Unigram => new LibrarySentencePiece(SentencePieceTokenizer.Create(stream, addBeginningOfSentence: false, addEndOfSentence: false), TokenizerPath.LibrarySentencePiece, hasCharsMap),
                _ => throw new TokenizerException(
                    $"{file}: trainer_spec.model_type {modelType} ({(modelType == 3 ? "WORD" : modelType == 4 ? "CHAR" : "unknown")}) is not supported (Microsoft.ML.Tokenizers reads BPE and Unigram models)"),
            };
        }
        catch (Exception e) when (e is not TokenizerException)
        {
            // The library throws what its parser meets (ALBERT's 30k-clean Unigram model, which has no BOS or EOS
            // piece, fails with IndexOutOfRangeException in SentencePieceUnigramModel's constructor).
            throw new TokenizerException($"{file}: Microsoft.ML.Tokenizers cannot read this SentencePiece model ({e.GetType().Name}: {e.Message})", e);
        }
    }

    public void Tokenize(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty) return;
        int before = output.Count;
        if (_cut) MetaspaceCut.Encode(word, output, TokenizeWord);
        else TokenizeWord(word, output);
        // Fuse runs of <unk> (also across the cuts: the whole stretch is one word to SentencePiece).
        int write = before;
        for (int read = before; read < output.Count; read++)
        {
            if (output[read] == _unkId && write > before && output[write - 1] == _unkId) continue;
            output[write++] = output[read];
        }
        output.RemoveRange(write, output.Count - write);
    }

    private void TokenizeWord(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty || _cache.TryAppend(word, output)) return;
        var ids = _model.EncodeToIds(word, addBeginningOfSentence: false, addEndOfSentence: false, considerPreTokenization: false, considerNormalization: false);
        _cache.AddAndAppend(word, ids as int[] ?? ids.ToArray(), output);
    }

    private const int Unigram = 1, Bpe = 2;

    /// <summary>
    /// <c>ModelProto.trainer_spec.model_type</c> (field 2, then field 3; UNIGRAM when absent) and whether
    /// <c>normalizer_spec.precompiled_charsmap</c> (field 3, then field 2) is non-empty, read from the protobuf wire
    /// format, which the library does not expose.
    /// </summary>
    private static (int Type, bool HasCharsMap) ModelSpec(byte[] model, string file)
    {
        int type = Unigram;
        bool charsMap = false;
        foreach (var (field, _, start, length) in Fields(model, 0, model.Length, file))
        {
            if (length < 0 || field is not (2 or 3)) continue;
            foreach (var (inner, innerValue, _, innerLength) in Fields(model, start, start + length, file))
            {
                if (field == 2 && inner == 3 && innerLength < 0) type = (int)innerValue;
                if (field == 3 && inner == 2 && innerLength > 0) charsMap = true;
            }
        }
        return (type, charsMap);
    }

    /// <summary>Top-level fields of a protobuf message: varints as (field, value, -, -1), length-delimited as (field, -, start, length).</summary>
    private static IEnumerable<(int Field, ulong Value, int Start, int Length)> Fields(byte[] data, int start, int end, string file)
    {
        int p = start;
        while (p < end)
        {
            ulong key = Varint(data, ref p, end, file);
            int field = (int)(key >> 3);
            switch (key & 7)
            {
                case 0:
                    yield return (field, Varint(data, ref p, end, file), 0, -1);
                    break;
                case 1:
                    p += 8;
                    break;
                case 2:
                    ulong size = Varint(data, ref p, end, file);
                    if (size > (ulong)(end - p)) throw Malformed(file);
                    int length = (int)size;
                    yield return (field, 0, p, length);
                    p += length;
                    break;
                case 5:
                    p += 4;
                    break;
                default:
                    throw Malformed(file);
            }
        }
        if (p != end) throw Malformed(file);
    }

    private static ulong Varint(byte[] data, ref int p, int end, string file)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (p >= end) throw Malformed(file);
            byte b = data[p++];
            value |= (ulong)(b & 0x7f) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Malformed(file);
    }

    private static TokenizerException Malformed(string file) =>
        new($"{file}: not a SentencePiece model (the protobuf ModelProto could not be read)");
}
