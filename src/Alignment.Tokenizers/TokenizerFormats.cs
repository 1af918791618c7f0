using Alignment.Tokenizers.Models;
using Alignment.Tokenizers.Normalizers;

namespace Alignment.Tokenizers;

public sealed partial class Tokenizer
{
    /// <summary>
    /// A SentencePiece tokenizer.model through Microsoft.ML.Tokenizers. With a tokenizer.json beside it (a Hugging Face
    /// repository's layout), tokenizer.json's normalizer, pre-tokenizer, added tokens, post-processor and decoder are
    /// used and the model only segments, provided both files hold the same vocabulary. Alone, the model's own
    /// normalizer is used, its unknown, BOS and EOS pieces are special tokens cut out of the text (as Hugging Face's
    /// SentencePiece tokenizers do), and decoding is SentencePiece's: ▁ to spaces, byte pieces to bytes, the dummy
    /// prefix's space dropped.
    /// </summary>
    private static Tokenizer FromSentencePiece(string modelFile, string? jsonFile, TokenizerConfig config, TokenizerPath? model)
    {
        var sentencePiece = LibrarySentencePiece.Load(modelFile);
        if (model is { } wanted && wanted != sentencePiece.Path)
            throw new TokenizerException($"{modelFile}: {wanted} was asked for, but the model is read by {sentencePiece.Path} ({(sentencePiece.Path == TokenizerPath.LibraryLlama ? "a BPE" : "a Unigram")} model)");

        if (jsonFile is not null)
        {
            var parts = JsonPipeline.Load(Utf8Text.ReadAllText(jsonFile), jsonFile);
            if (Disagreement(parts.Bpe.Vocab, sentencePiece.Vocab) is { } why)
                throw new TokenizerException($"{jsonFile} and {modelFile} hold different vocabularies ({why}); a folder's tokenizer.json must be the conversion of its tokenizer.model");
            return new Tokenizer(parts.Normalizer, parts.PreTokenizer, sentencePiece, parts.PostProcessor, parts.Decoder, parts.AddedTokens, config);
        }

        var library = sentencePiece.Library;
        var added = new List<AddedToken>();
        foreach (var (content, id) in new[] { (library.UnknownToken, library.UnknownId), (library.BeginningOfSentenceToken, library.BeginningOfSentenceId), (library.EndOfSentenceToken, library.EndOfSentenceId) })
            if (id >= 0 && content is { Length: > 0 } && added.All(t => t.Id != id))
                added.Add(new AddedToken(id, content, Special: true));
        string decoder = library.AddDummyPrefix && !library.TreatWhitespaceAsSuffix
            ? """{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"},{"type":"Strip","content":" ","start":1,"stop":0}]}"""
            : """{"type":"Sequence","decoders":[{"type":"Replace","pattern":{"String":"▁"},"content":" "},{"type":"ByteFallback"},{"type":"Fuse"}]}""";
        return new Tokenizer(
            new SentencePieceModelNormalizer(library, sentencePiece.HasCharsMap),
            preTokenizer: null,
            sentencePiece,
            postProcessor: null,
            StepFromJson(decoder, modelFile, Decoders.Decoder.Load),
            added,
            config with
            {
                BosToken = config.BosToken ?? (library.BeginningOfSentenceId >= 0 ? library.BeginningOfSentenceToken : null),
                EosToken = config.EosToken ?? (library.EndOfSentenceId >= 0 ? library.EndOfSentenceToken : null),
                UnkToken = config.UnkToken ?? library.UnknownToken,
            });
    }

    /// <summary>Where two vocabularies differ (the first token found), or null when they are the same.</summary>
    private static string? Disagreement(IReadOnlyDictionary<string, int> json, IReadOnlyDictionary<string, int> model)
    {
        foreach (var (token, id) in json)
        {
            if (!model.TryGetValue(token, out int other)) return $"\"{token}\" ({id}) is not in the model";
            if (other != id) return $"\"{token}\" is {id} in tokenizer.json and {other} in the model";
        }
        return json.Count == model.Count ? null : $"tokenizer.json has {json.Count} tokens, the model {model.Count}";
    }

    /// <summary>
    /// A tiktoken file through Microsoft.ML.Tokenizers' TiktokenTokenizer: the encoding's split pattern (our
    /// code-point regex), its special tokens as added tokens, and GPT-2's byte-level decoding.
    /// </summary>
    private static Tokenizer FromTiktoken(string file, TokenizerConfig config)
    {
        var encoding = TiktokenEncoding.ForFile(file);
        var words = LibraryTiktoken.Load(file, encoding);
        string split = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["type"] = "Split",
            ["pattern"] = new Dictionary<string, string> { ["Regex"] = encoding.Pattern },
            ["behavior"] = "Isolated",
            ["invert"] = false,
        });
        return new Tokenizer(
            normalizer: null,
            StepFromJson(split, file, PreTokenizers.PreTokenizer.Load),
            words,
            postProcessor: null,
            StepFromJson("""{"type":"ByteLevel"}""", file, Decoders.Decoder.Load),
            encoding.SpecialTokens.Select(t => new AddedToken(t.Value, t.Key, Special: true)).ToList(),
            config);
    }
}
