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
    /// Loads a tokenizer from a model folder (its tokenizer.json and, when present,
    /// tokenizer_config.json) or from a tokenizer.json path (the config beside it is read too).
    /// </summary>
    /// <param name="model">
    /// Whose code encodes words. Default: Microsoft.ML.Tokenizers' where it gives Hugging Face's ids, else our own.
    /// Asking for the library's BPE where it cannot be used is an error naming the reason.
    /// </param>
    public static Tokenizer FromFile(string path, TokenizerPath? model = null)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "tokenizer.json") : path;
        if (!File.Exists(file))
            throw new TokenizerException(Directory.Exists(path)
                ? $"{path}: the folder has no tokenizer.json (a Hugging Face tokenizer folder has tokenizer.json and tokenizer_config.json)"
                : $"{path}: file not found");
        string configFile = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, "tokenizer_config.json");
        var config = File.Exists(configFile) ? TokenizerConfig.Parse(Utf8Text.ReadAllText(configFile), configFile) : TokenizerConfig.Empty;
        return FromJson(Utf8Text.ReadAllText(file), config, file, model);
    }

    /// <summary>Loads a tokenizer from the text of a tokenizer.json; <paramref name="file"/> names it in errors.</summary>
    /// <param name="model">As in <see cref="FromFile"/>.</param>
    public static Tokenizer FromJson(string tokenizerJson, TokenizerConfig? config = null, string file = "tokenizer.json", TokenizerPath? model = null)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(tokenizerJson, new JsonDocumentOptions { MaxDepth = 256, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{file}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{file}: must be a JSON object");
            var root = new JsonCursor(doc.RootElement, Path.GetFileName(file), "");
            var normalizer = Normalizers.Normalizer.Load(root.Optional("normalizer"));
            var bpe = BpeModel.Load(root.Child("model"));
            var preTokenizer = PreTokenizers.PreTokenizer.Load(root.Optional("pre_tokenizer"));
            var added = LoadAddedTokens(root.Optional("added_tokens"));
            IWordModel words = bpe;
            if (model != TokenizerPath.OwnBpe)
            {
                var withoutMapping = preTokenizer?.WithoutFinalByteMapping();
                if (LibraryByteLevelBpe.TryCreate(bpe, withoutMapping is not null, out string? reason) is { } library)
                {
                    words = library;
                    preTokenizer = withoutMapping;
                }
                else if (model == TokenizerPath.LibraryByteLevelBpe)
                {
                    throw new TokenizerException($"{file}: Microsoft.ML.Tokenizers' byte-level BPE cannot encode this tokenizer: {reason}");
                }
            }
            return new Tokenizer(
                normalizer,
                preTokenizer,
                words,
                PostProcessors.PostProcessor.Load(root.Optional("post_processor")),
                Decoders.Decoder.Load(root.Optional("decoder")),
                added,
                config ?? TokenizerConfig.Empty);
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
