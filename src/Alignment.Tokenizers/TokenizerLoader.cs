using System.Text.Json;
using Alignment.Tokenizers.Decoders;
using Alignment.Tokenizers.Json;
using Alignment.Tokenizers.Models;
using Alignment.Tokenizers.Normalizers;
using Alignment.Tokenizers.PostProcessors;
using Alignment.Tokenizers.PreTokenizers;

namespace Alignment.Tokenizers;

public sealed partial class Tokenizer
{
    /// <summary>
    /// Loads a tokenizer from a model folder or from one of its files: a SentencePiece <c>tokenizer.model</c> (with
    /// tokenizer.json's pipeline when the folder has one), else <c>tokenizer.json</c>, else one <c>*.tiktoken</c> file.
    /// tokenizer_config.json beside it is read when present.
    /// </summary>
    /// <param name="model">
    /// Whose code encodes words. Default: Microsoft.ML.Tokenizers' where it gives Hugging Face's ids, else our own.
    /// <see cref="TokenizerPath.OwnBpe"/> and <see cref="TokenizerPath.LibraryByteLevelBpe"/> read tokenizer.json even
    /// when a tokenizer.model is present. Asking for a path the files cannot take is an error naming the reason.
    /// </param>
    public static Tokenizer FromFile(string path, TokenizerPath? model = null)
    {
        string dir;
        string? sentencePiece = null, json = null, tiktoken = null;
        if (Directory.Exists(path))
        {
            dir = path;
            sentencePiece = Existing(Path.Combine(dir, "tokenizer.model"));
            json = Existing(Path.Combine(dir, "tokenizer.json"));
            var tiktokens = Directory.GetFiles(dir, "*.tiktoken");
            if (tiktokens.Length > 1 && sentencePiece is null && json is null)
                throw new TokenizerException($"{path}: the folder has several tiktoken files ({string.Join(", ", tiktokens.Select(Path.GetFileName).Order())}); name one");
            tiktoken = tiktokens.Length == 1 ? tiktokens[0] : null;
            if (sentencePiece is null && json is null && tiktoken is null)
                throw new TokenizerException($"{path}: the folder has no tokenizer.json, tokenizer.model or *.tiktoken file (a Hugging Face tokenizer folder has tokenizer.json and tokenizer_config.json)");
        }
        else if (File.Exists(path))
        {
            dir = Path.GetDirectoryName(Path.GetFullPath(path))!;
            if (path.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase)) tiktoken = path;
            else if (path.EndsWith(".model", StringComparison.OrdinalIgnoreCase))
            {
                sentencePiece = path;
                json = Existing(Path.Combine(dir, "tokenizer.json"));
            }
            else json = path;
        }
        else
        {
            throw new TokenizerException($"{path}: file not found");
        }
        string configFile = Path.Combine(dir, "tokenizer_config.json");
        var config = File.Exists(configFile) ? TokenizerConfig.Parse(Utf8Text.ReadAllText(configFile), configFile) : TokenizerConfig.Empty;

        switch (model)
        {
            case null when sentencePiece is not null:
            case TokenizerPath.LibraryLlama or TokenizerPath.LibrarySentencePiece:
                if (sentencePiece is null) throw new TokenizerException($"{path}: {model} needs a SentencePiece tokenizer.model, and there is none");
                return FromSentencePiece(sentencePiece, json, config, model);
            case null when json is not null:
            case TokenizerPath.OwnBpe or TokenizerPath.LibraryByteLevelBpe:
                if (json is null) throw new TokenizerException($"{path}: {model} needs a tokenizer.json, and there is none");
                return FromJson(Utf8Text.ReadAllText(json), config, json, model);
            default:
                if (tiktoken is null) throw new TokenizerException($"{path}: {model} needs a .tiktoken file, and there is none");
                return FromTiktoken(tiktoken, config);
        }

        static string? Existing(string file) => File.Exists(file) ? file : null;
    }

    /// <summary>Loads a tokenizer from the text of a tokenizer.json; <paramref name="file"/> names it in errors.</summary>
    /// <param name="model">As in <see cref="FromFile"/>; <see cref="TokenizerPath.OwnBpe"/> or <see cref="TokenizerPath.LibraryByteLevelBpe"/>.</param>
    public static Tokenizer FromJson(string tokenizerJson, TokenizerConfig? config = null, string file = "tokenizer.json", TokenizerPath? model = null)
    {
        if (model is not (null or TokenizerPath.OwnBpe or TokenizerPath.LibraryByteLevelBpe))
            throw new TokenizerException($"{file}: {model} is not a path for tokenizer.json alone (it reads a tokenizer.model or .tiktoken file)");
        var parts = JsonPipeline.Load(tokenizerJson, file);
        IWordModel words = parts.Bpe;
        var preTokenizer = parts.PreTokenizer;
        if (model != TokenizerPath.OwnBpe)
        {
            var withoutMapping = preTokenizer?.WithoutFinalByteMapping();
            if (LibraryByteLevelBpe.TryCreate(parts.Bpe, withoutMapping is not null, out string? reason) is { } library)
            {
                words = library;
                preTokenizer = withoutMapping;
            }
            else if (model == TokenizerPath.LibraryByteLevelBpe)
            {
                throw new TokenizerException($"{file}: Microsoft.ML.Tokenizers' byte-level BPE cannot encode this tokenizer: {reason}");
            }
        }
        return new Tokenizer(parts.Normalizer, preTokenizer, words, parts.PostProcessor, parts.Decoder, parts.AddedTokens, config ?? TokenizerConfig.Empty);
    }

    /// <summary>tokenizer.json read into the pipeline's steps.</summary>
    private sealed record JsonPipeline(
        Normalizer? Normalizer, PreTokenizer? PreTokenizer, BpeModel Bpe, PostProcessor? PostProcessor, Decoder? Decoder, List<AddedToken> AddedTokens)
    {
        public static JsonPipeline Load(string tokenizerJson, string file)
        {
            using var doc = ParseJson(tokenizerJson, file, maxDepth: 256);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{file}: must be a JSON object");
            var root = new JsonCursor(doc.RootElement, Path.GetFileName(file), "");
            return new JsonPipeline(
                Normalizers.Normalizer.Load(root.Optional("normalizer")),
                PreTokenizers.PreTokenizer.Load(root.Optional("pre_tokenizer")),
                BpeModel.Load(root.Child("model")),
                PostProcessors.PostProcessor.Load(root.Optional("post_processor")),
                Decoders.Decoder.Load(root.Optional("decoder")),
                LoadAddedTokens(root.Optional("added_tokens")));
        }
    }

    /// <summary>A pipeline step written as tokenizer.json writes it (for steps a tokenizer.model or .tiktoken file implies).</summary>
    private static T StepFromJson<T>(string json, string file, Func<JsonCursor, T> load)
    {
        using var doc = ParseJson(json, file, maxDepth: 16);
        return load(new JsonCursor(doc.RootElement, Path.GetFileName(file), ""));
    }

    private static JsonDocument ParseJson(string json, string file, int maxDepth)
    {
        try
        {
            return JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = maxDepth, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{file}: not valid JSON: {e.Message}", e);
        }
    }

    private static List<AddedToken> LoadAddedTokens(JsonCursor json)
    {
        var tokens = new List<AddedToken>();
        if (json.IsNull) return tokens;
        foreach (var item in json.Items())
        {
            bool special = item.Optional("special").GetBool(false);
            tokens.Add(new AddedToken(
                item.Child("id").GetInt(),
                item.Child("content").GetString(),
                special,
                item.Optional("single_word").GetBool(false),
                item.Optional("lstrip").GetBool(false),
                item.Optional("rstrip").GetBool(false),
                item.Optional("normalized").GetBool(!special)));
        }
        return tokens;
    }
}
