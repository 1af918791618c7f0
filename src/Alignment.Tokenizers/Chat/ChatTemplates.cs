using Alignment.Tokenizers.Chat.Templates;

namespace Alignment.Tokenizers.Chat;

/// <summary>
/// The chat formats we know, by name, and recognition of a tokenizer's own Jinja
/// <c>chat_template</c> by its distinctive markers.
/// </summary>
public static class ChatTemplates
{
    private static readonly ChatTemplate[] All =
    [
        new ChatMlTemplate(), new QwenTemplate(), new Qwen3Template(), new Llama3Template(),
        new Llama2Template(), new MistralTemplate(), new AlpacaTemplate(), new PlainTemplate(),
    ];

    public static IReadOnlyList<string> Names { get; } = All.Select(t => t.Name).ToArray();

    /// <summary>The template of that name; an unknown name is an error listing the known ones.</summary>
    public static ChatTemplate Get(string name) =>
        All.FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new TokenizerException($"unknown chat template '{name}' (known: {string.Join(", ", Names)})");

    /// <summary>
    /// Recognizes a Jinja chat template: <c>&lt;|im_start|&gt;</c> is ChatML (Qwen 3 when it writes
    /// <c>&lt;think&gt;</c>, Qwen 2.5 when it names Qwen), <c>&lt;|start_header_id|&gt;</c> is Llama 3,
    /// <c>[INST]</c> is Llama 2 with <c>&lt;&lt;SYS&gt;&gt;</c> and Mistral without, <c>### Instruction</c> is Alpaca.
    /// </summary>
    public static ChatTemplate? Detect(string? jinjaSource)
    {
        if (string.IsNullOrEmpty(jinjaSource)) return null;
        bool Has(string marker) => jinjaSource.Contains(marker, StringComparison.Ordinal);
        if (Has("<|im_start|>")) return Get(Has("<think>") ? "qwen3" : Has("You are Qwen") ? "qwen" : "chatml");
        if (Has("<|start_header_id|>")) return Get("llama3");
        if (Has("[INST]")) return Get(Has("<<SYS>>") ? "llama2" : "mistral");
        if (Has("### Instruction")) return Get("alpaca");
        return null;
    }

    /// <summary>
    /// The template for a tokenizer: by <paramref name="name"/> when given, else recognized from its
    /// tokenizer_config.json <c>chat_template</c>.
    /// </summary>
    public static ChatTemplate For(Tokenizer tokenizer, string? name = null)
    {
        if (name is not null) return Get(name);
        return Detect(tokenizer.Config.ChatTemplate)
            ?? throw new TokenizerException(tokenizer.Config.ChatTemplate is null
                ? $"the tokenizer has no chat_template; name one of: {string.Join(", ", Names)}"
                : $"the tokenizer's chat_template is none we recognize; name one of: {string.Join(", ", Names)}");
    }
}
