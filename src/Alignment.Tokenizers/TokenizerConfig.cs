using System.Text.Json;
using Alignment.Tokenizers.Json;

namespace Alignment.Tokenizers;

/// <summary>
/// What <c>tokenizer_config.json</c> adds to tokenizer.json: the names of the special tokens, whether
/// <c>add_special_tokens</c> adds BOS/EOS, and the chat template source.
/// </summary>
public sealed record TokenizerConfig
{
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? PadToken { get; init; }
    public string? UnkToken { get; init; }

    /// <summary><c>add_bos_token</c>, when the file sets it (it then decides what add_special_tokens adds, as in transformers).</summary>
    public bool? AddBosToken { get; init; }

    /// <summary><c>add_eos_token</c>, when the file sets it.</summary>
    public bool? AddEosToken { get; init; }

    /// <summary>The Jinja <c>chat_template</c> source (the one named "default" when the file has several).</summary>
    public string? ChatTemplate { get; init; }

    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];

    public static TokenizerConfig Empty { get; } = new();

    public static TokenizerConfig Parse(string json, string file = "tokenizer_config.json")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            throw new TokenizerException($"{file}: not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = new JsonCursor(doc.RootElement, file, "");
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new TokenizerException($"{file}: must be a JSON object");
            return new TokenizerConfig
            {
                BosToken = TokenContent(root.Optional("bos_token")),
                EosToken = TokenContent(root.Optional("eos_token")),
                PadToken = TokenContent(root.Optional("pad_token")),
                UnkToken = TokenContent(root.Optional("unk_token")),
                AddBosToken = root.Has("add_bos_token") ? root.Child("add_bos_token").GetBool(false) : null,
                AddEosToken = root.Has("add_eos_token") ? root.Child("add_eos_token").GetBool(false) : null,
                ChatTemplate = ReadChatTemplate(root.Optional("chat_template")),
                AdditionalSpecialTokens = root.Has("additional_special_tokens")
                    ? root.Child("additional_special_tokens").Items().Select(TokenContent).OfType<string>().ToArray()
                    : [],
            };
        }
    }

    /// <summary>A token written as a string or as <c>{"__type": "AddedToken", "content": ...}</c>.</summary>
    private static string? TokenContent(JsonCursor json) =>
        json.IsNull ? null
        : json.Element.ValueKind == JsonValueKind.Object ? json.Child("content").GetString()
        : json.GetString();

    private static string? ReadChatTemplate(JsonCursor json)
    {
        if (json.IsNull) return null;
        if (json.Element.ValueKind == JsonValueKind.String) return json.GetString();
        var named = json.Items().Select(t => (Name: t.Child("name").GetString(), Template: t.Child("template").GetString())).ToArray();
        return named.FirstOrDefault(t => t.Name == "default").Template ?? named.FirstOrDefault().Template;
    }
}
