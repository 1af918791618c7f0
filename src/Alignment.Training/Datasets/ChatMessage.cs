namespace Alignment.Training.Datasets;

/// <summary>One turn of a conversation (TRL's conversational format): role is system, user or assistant.</summary>
public sealed record ChatMessage(string Role, string Content)
{
    public static readonly string[] Roles = { "system", "user", "assistant" };
}
