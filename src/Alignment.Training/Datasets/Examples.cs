using Alignment.Tokenizers.Chat;

namespace Alignment.Training.Datasets;

/// <summary>A prompt as TRL accepts it: plain text, or a list of messages (conversational format).</summary>
public sealed record Prompt(string? Text, IReadOnlyList<ChatMessage>? Messages)
{
    public bool IsConversational => Messages != null;

    public static Prompt FromText(string text) => new(text, null);

    public static Prompt FromMessages(IReadOnlyList<ChatMessage> messages) => new(null, messages);

    /// <summary>The text for display and grouping (the last user message of a conversation).</summary>
    public string DisplayText => Text ?? Messages!.LastOrDefault(m => m.Role == "user")?.Content ?? "";
}

/// <summary>A completion: plain text, or assistant messages (conversational format).</summary>
public sealed record Completion(string? Text, IReadOnlyList<ChatMessage>? Messages)
{
    public string DisplayText => Text ?? string.Join("\n", Messages!.Select(m => m.Content));
}

/// <summary>SFT example: a whole conversation (`messages`), or a prompt and its completion.</summary>
public sealed record SftExample(IReadOnlyList<ChatMessage>? Messages, Prompt? Prompt, Completion? Completion, int Line);

/// <summary>Preference pair (TRL `{"prompt","chosen","rejected"}`, optional `margin`).</summary>
public sealed record PreferenceExample(Prompt Prompt, Completion Chosen, Completion Rejected, double? Margin, int Line);

/// <summary>Unpaired example for KTO (`{"prompt","completion","label"}`), label true = desirable.</summary>
public sealed record UnpairedExample(Prompt Prompt, Completion Completion, bool Label, int Line);

/// <summary>Prompt-only example (for sampling, PPO, evaluation).</summary>
public sealed record PromptExample(Prompt Prompt, int Line);

/// <summary>A prompt with a reference answer (`{"prompt","reference"}`), for text metrics and reference likelihoods.</summary>
public sealed record ReferenceExample(Prompt Prompt, string Reference, int Line)
{
    /// <summary>The prompt answered by the reference, as an SFT example (to score the reference teacher-forced).</summary>
    public SftExample ToSft() => new(null, Prompt, new Completion(Reference, null), Line);
}
