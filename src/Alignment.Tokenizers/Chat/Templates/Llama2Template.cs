namespace Alignment.Tokenizers.Chat.Templates;

/// <summary>
/// Llama 2 chat: <c>BOS[INST] {user} [/INST] {answer} EOS</c> per turn, contents stripped; a system
/// message goes into the first user turn as <c>&lt;&lt;SYS&gt;&gt;\n{system}\n&lt;&lt;/SYS&gt;&gt;\n\n</c>. The answer
/// (trained on) is <c> {answer} EOS</c>; there is no generation header beyond <c>[/INST]</c>.
/// </summary>
public sealed class Llama2Template : ChatTemplate
{
    public override string Name => "llama2";

    public override string EndOfTurn(Tokenizer tokenizer) => RequireEos(tokenizer);

    protected override void Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, Tokenizer tokenizer, SegmentBuilder output)
    {
        string bos = RequireBos(tokenizer), eos = RequireEos(tokenizer);
        string? system = messages[0].Role == "system" ? messages[0].Content : null;
        bool first = true;
        foreach (var m in messages.Skip(system is null ? 0 : 1))
        {
            if (m.Role == "user")
            {
                string content = first && system is not null ? $"<<SYS>>\n{system}\n<</SYS>>\n\n{m.Content}" : m.Content;
                output.Prompt($"{bos}[INST] {content.Trim()} [/INST]");
                first = false;
            }
            else
            {
                output.Answer($" {m.Content.Trim()} {eos}");
            }
        }
    }
}

/// <summary>
/// Mistral Instruct (v0.1 format): <c>BOS[INST] {user} [/INST]{answer}EOS</c>, contents as given. Mistral's
/// template has no system role; here a system message is put in front of the first user message,
/// followed by a blank line, as LLaMA-Factory does.
/// </summary>
public sealed class MistralTemplate : ChatTemplate
{
    public override string Name => "mistral";

    public override string EndOfTurn(Tokenizer tokenizer) => RequireEos(tokenizer);

    protected override void Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, Tokenizer tokenizer, SegmentBuilder output)
    {
        string eos = RequireEos(tokenizer);
        output.Prompt(RequireBos(tokenizer));
        string? system = messages[0].Role == "system" ? messages[0].Content : null;
        bool first = true;
        foreach (var m in messages.Skip(system is null ? 0 : 1))
        {
            if (m.Role == "user")
            {
                string content = first && system is not null ? $"{system}\n\n{m.Content}" : m.Content;
                output.Prompt($"[INST] {content} [/INST]");
                first = false;
            }
            else
            {
                output.Answer(m.Content + eos);
            }
        }
    }
}
