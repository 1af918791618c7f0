namespace Alignment.Tokenizers.Chat.Templates;

/// <summary>
/// Llama 3 Instruct: BOS, then <c>&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content trimmed}&lt;|eot_id|&gt;</c>
/// per message; the generation prompt is the assistant header. Answers end with <c>&lt;|eot_id|&gt;</c>.
/// </summary>
public sealed class Llama3Template : ChatTemplate
{
    public override string Name => "llama3";

    public override string EndOfTurn(Tokenizer tokenizer) => "<|eot_id|>";

    protected override void Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, Tokenizer tokenizer, SegmentBuilder output)
    {
        output.Prompt(RequireBos(tokenizer));
        foreach (var m in messages)
        {
            output.Prompt(Header(m.Role));
            if (m.Role == "assistant") output.Answer(m.Content.Trim() + "<|eot_id|>");
            else output.Prompt(m.Content.Trim() + "<|eot_id|>");
        }
        if (addGenerationPrompt) output.Prompt(Header("assistant"));
    }

    private static string Header(string role) => $"<|start_header_id|>{role}<|end_header_id|>\n\n";
}
