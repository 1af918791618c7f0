namespace Alignment.Tokenizers.Chat;

/// <summary>
/// A chat format (ChatML, Llama 3, ...) written in code, as LLaMA-Factory does, rather than a Jinja
/// template: it renders a conversation as prompt and answer segments, which are tokenized
/// separately so no token merges across a prompt/answer boundary, and each answer ends with exactly
/// one end-of-turn token.
/// </summary>
public abstract class ChatTemplate
{
    /// <summary>The registry name (<see cref="ChatTemplates"/>).</summary>
    public abstract string Name { get; }

    /// <summary>The token that closes each assistant turn, given the tokenizer's special tokens.</summary>
    public abstract string EndOfTurn(Tokenizer tokenizer);

    /// <summary>Appends the segments of a validated conversation to <paramref name="output"/>.</summary>
    protected abstract void Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, Tokenizer tokenizer, SegmentBuilder output);

    /// <summary>Which roles may come first: most formats accept a leading system message.</summary>
    protected virtual bool AcceptsSystem => true;

    /// <summary>The conversation as prompt and answer segments.</summary>
    /// <param name="addGenerationPrompt">End with the assistant header, for generation; the conversation must end with a user message.</param>
    public IReadOnlyList<ChatSegment> Segments(Tokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        Validate(messages, addGenerationPrompt);
        var builder = new SegmentBuilder();
        Format(messages, addGenerationPrompt, tokenizer, builder);
        return builder.Build();
    }

    /// <summary>The conversation as text, as the model sees it.</summary>
    public string Render(Tokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false) =>
        string.Concat(Segments(tokenizer, messages, addGenerationPrompt).Select(s => s.Text));

    /// <summary>
    /// Token ids and assistant mask. Prompt and answer segments are encoded separately
    /// (<see cref="Tokenizer.EncodePieces"/>); every answer must end with exactly one end-of-turn token.
    /// </summary>
    public ChatEncoding Encode(Tokenizer tokenizer, IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt = false)
    {
        var segments = Segments(tokenizer, messages, addGenerationPrompt);
        string endOfTurn = EndOfTurn(tokenizer);
        int eot = tokenizer.AddedTokens.FirstOrDefault(t => t.Content == endOfTurn)?.Id
            ?? throw new TokenizerException($"chat template '{Name}' ends assistant turns with {endOfTurn}, which is not an added token of this tokenizer");

        var pieces = tokenizer.EncodePieces(segments.Select(s => s.Text).ToArray());
        var ids = new List<int>();
        var mask = new List<bool>();
        for (int i = 0; i < segments.Count; i++)
        {
            if (segments[i].IsAnswer)
            {
                int count = pieces[i].Count(id => id == eot);
                if (count != 1 || pieces[i][^1] != eot)
                    throw new TokenizerException(
                        $"chat template '{Name}': an answer must end with exactly one {endOfTurn}, found {count} in {Quote(segments[i].Text)} " +
                        "(does the assistant message contain the end-of-turn token?)");
            }
            ids.AddRange(pieces[i]);
            mask.AddRange(Enumerable.Repeat(segments[i].IsAnswer, pieces[i].Length));
        }
        return new ChatEncoding(ids.ToArray(), mask.ToArray(), segments);
    }

    private void Validate(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt)
    {
        ArgumentNullException.ThrowIfNull(messages);
        int start = 0;
        if (messages.Count > 0 && messages[0].Role == "system")
        {
            if (!AcceptsSystem) throw new TokenizerException($"chat template '{Name}' has no system message");
            start = 1;
        }
        if (messages.Count == start) throw new TokenizerException($"chat template '{Name}': the conversation has no user message");
        for (int i = start; i < messages.Count; i++)
        {
            string expected = (i - start) % 2 == 0 ? "user" : "assistant";
            if (messages[i].Role != expected)
                throw new TokenizerException(
                    $"chat template '{Name}': message {i} has role '{messages[i].Role}', expected '{expected}' " +
                    "(an optional system message first, then user and assistant alternating)");
            ArgumentNullException.ThrowIfNull(messages[i].Content, $"messages[{i}].Content");
        }
        if (addGenerationPrompt && messages[^1].Role != "user")
            throw new TokenizerException($"chat template '{Name}': a generation prompt follows a user message, but the conversation ends with '{messages[^1].Role}'");
    }

    /// <summary>The tokenizer's BOS text, for formats that write it.</summary>
    protected string RequireBos(Tokenizer tokenizer) =>
        tokenizer.Bos?.Content ?? throw new TokenizerException($"chat template '{Name}' starts with BOS, but the tokenizer has no bos_token (tokenizer_config.json)");

    /// <summary>The tokenizer's EOS text, for formats that end answers with it.</summary>
    protected string RequireEos(Tokenizer tokenizer) =>
        tokenizer.Eos?.Content ?? throw new TokenizerException($"chat template '{Name}' ends answers with EOS, but the tokenizer has no eos_token (tokenizer_config.json)");

    private static string Quote(string s) => System.Text.Json.JsonSerializer.Serialize(s);

    /// <summary>Collects text into segments; consecutive text of one kind stays one segment.</summary>
    protected sealed class SegmentBuilder
    {
        private readonly List<ChatSegment> _segments = [];
        private readonly System.Text.StringBuilder _text = new();
        private bool _answer;

        public SegmentBuilder Prompt(string text) => Add(text, false);
        public SegmentBuilder Answer(string text) => Add(text, true);

        private SegmentBuilder Add(string text, bool answer)
        {
            if (text.Length == 0) return this;
            if (answer != _answer) Flush();
            _answer = answer;
            _text.Append(text);
            return this;
        }

        private void Flush()
        {
            if (_text.Length > 0) _segments.Add(new ChatSegment(_text.ToString(), _answer));
            _text.Clear();
        }

        public IReadOnlyList<ChatSegment> Build()
        {
            Flush();
            return _segments.ToArray();
        }
    }
}
