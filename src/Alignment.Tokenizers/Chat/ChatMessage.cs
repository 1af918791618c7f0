namespace Alignment.Tokenizers.Chat;

/// <summary>One message of a conversation, with Hugging Face's role names: "system", "user", "assistant".</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public static ChatMessage System(string content) => new("system", content);
    public static ChatMessage User(string content) => new("user", content);
    public static ChatMessage Assistant(string content) => new("assistant", content);
}

/// <summary>A stretch of rendered conversation: prompt text, or answer text the model is trained on.</summary>
public sealed record ChatSegment(string Text, bool IsAnswer);

/// <summary>
/// A conversation as token ids. <see cref="AssistantMask"/>[i] is true for the tokens of the
/// assistant's answers, each answer's end-of-turn token included: the tokens the loss is taken on.
/// </summary>
public sealed record ChatEncoding(int[] InputIds, bool[] AssistantMask, IReadOnlyList<ChatSegment> Segments)
{
    public string Text => string.Concat(Segments.Select(s => s.Text));
}
