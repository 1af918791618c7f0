namespace Alignment.Tokenizers.Chat.Templates;

/// <summary>
/// Alpaca, as LLaMA-Factory writes it: the system text (default: "Below is an instruction that
/// describes a task. Write a response that appropriately completes the request.\n\n"), then per turn
/// <c>### Instruction:\n{user}\n\n### Response:\n</c> and the answer followed by EOS; turns are separated
/// by a blank line. A custom system message is followed by a blank line too. BOS comes first when the
/// tokenizer adds one (Llama 2).
/// </summary>
public sealed class AlpacaTemplate : ChatTemplate
{
    public const string DefaultSystem =
        "Below is an instruction that describes a task. Write a response that appropriately completes the request.\n\n";

    public override string Name => "alpaca";

    public override string EndOfTurn(Tokenizer tokenizer) => RequireEos(tokenizer);

    protected override void Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, Tokenizer tokenizer, SegmentBuilder output)
    {
        string eos = RequireEos(tokenizer);
        if (tokenizer.AddsBos) output.Prompt(RequireBos(tokenizer));
        bool hasSystem = messages[0].Role == "system";
        output.Prompt(hasSystem ? messages[0].Content + "\n\n" : DefaultSystem);
        bool first = true;
        foreach (var m in messages.Skip(hasSystem ? 1 : 0))
        {
            if (m.Role == "user")
            {
                output.Prompt($"{(first ? "" : "\n\n")}### Instruction:\n{m.Content}\n\n### Response:\n");
                first = false;
            }
            else
            {
                output.Answer(m.Content + eos);
            }
        }
    }
}

/// <summary>
/// No format at all: ids(prompt) + ids(completion) + [EOS], with the loss on the completion and EOS.
/// The conversation is one user message (the prompt) and, for training, one assistant message
/// (the completion). BOS comes first when the tokenizer adds one.
/// </summary>
public sealed class PlainTemplate : ChatTemplate
{
    public override string Name => "plain";

    protected override bool AcceptsSystem => false;

    public override string EndOfTurn(Tokenizer tokenizer) => RequireEos(tokenizer);

    /// <summary>Encodes a TRL prompt/completion pair.</summary>
    public ChatEncoding Encode(Tokenizer tokenizer, string prompt, string completion) =>
        Encode(tokenizer, [ChatMessage.User(prompt), ChatMessage.Assistant(completion)]);

    protected override void Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, Tokenizer tokenizer, SegmentBuilder output)
    {
        if (messages.Count > 2)
            throw new TokenizerException("chat template 'plain' takes one prompt (user message) and at most one completion (assistant message)");
        if (tokenizer.AddsBos) output.Prompt(RequireBos(tokenizer));
        output.Prompt(messages[0].Content);
        if (messages.Count == 2) output.Answer(messages[1].Content + RequireEos(tokenizer));
    }
}
