namespace Alignment.Tokenizers.Chat.Templates;

/// <summary>
/// ChatML: <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> per message; the generation prompt is
/// <c>&lt;|im_start|&gt;assistant\n</c>. The answer is the content and its <c>&lt;|im_end|&gt;</c>; the newline
/// after it belongs to the next prompt.
/// </summary>
public class ChatMlTemplate : ChatTemplate
{
    public const string ImStart = "<|im_start|>";
    public const string ImEnd = "<|im_end|>";

    public override string Name => "chatml";

    public override string EndOfTurn(Tokenizer tokenizer) => ImEnd;

    /// <summary>The system message used when the conversation has none (none for plain ChatML).</summary>
    protected virtual string? DefaultSystem => null;

    /// <summary>The answer text of an assistant message; <paramref name="isFinalAnswer"/>: the last message, after the last user turn.</summary>
    protected virtual string AnswerText(string content, bool isFinalAnswer) => content;

    protected override void Format(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, Tokenizer tokenizer, SegmentBuilder output)
    {
        if (messages[0].Role != "system" && DefaultSystem is { } system)
            output.Prompt($"{ImStart}system\n{system}{ImEnd}\n");
        for (int i = 0; i < messages.Count; i++)
        {
            var m = messages[i];
            if (m.Role == "assistant")
            {
                output.Prompt($"{ImStart}assistant\n");
                output.Answer(AnswerText(m.Content, i == messages.Count - 1) + ImEnd);
                output.Prompt("\n");
            }
            else
            {
                output.Prompt($"{ImStart}{m.Role}\n{m.Content}{ImEnd}\n");
            }
        }
        if (addGenerationPrompt) output.Prompt($"{ImStart}assistant\n");
    }
}

/// <summary>Qwen 2 / 2.5: ChatML with Qwen 2.5's default system message when the conversation has none.</summary>
public sealed class QwenTemplate : ChatMlTemplate
{
    public override string Name => "qwen";

    protected override string DefaultSystem => "You are Qwen, created by Alibaba Cloud. You are a helpful assistant.";
}

/// <summary>
/// Qwen 3: ChatML where, as in Qwen 3's own template, the final answer carries an (empty) thinking
/// block <c>&lt;think&gt;\n\n&lt;/think&gt;\n\n</c> (part of the answer: the model writes it) and earlier answers
/// lose any thinking they contain (text up to <c>&lt;/think&gt;</c>).
/// </summary>
public sealed class Qwen3Template : ChatMlTemplate
{
    public override string Name => "qwen3";

    protected override string AnswerText(string content, bool isFinalAnswer)
    {
        string reasoning = "";
        int close = content.LastIndexOf("</think>", StringComparison.Ordinal);
        if (close >= 0)
        {
            string before = content[..close].TrimEnd('\n');
            int open = before.LastIndexOf("<think>", StringComparison.Ordinal);
            reasoning = (open >= 0 ? before[(open + "<think>".Length)..] : before).TrimStart('\n');
            content = content[(close + "</think>".Length)..].TrimStart('\n');
        }
        return isFinalAnswer ? $"<think>\n{reasoning.Trim('\n')}\n</think>\n\n{content.TrimStart('\n')}" : content;
    }
}
