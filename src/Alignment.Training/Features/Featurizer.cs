using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Training.Datasets;

namespace Alignment.Training.Features;

/// <summary>
/// Turns TRL-shaped examples into token ids with a chat template. Prompt and answer are tokenized separately (no
/// merge across the boundary) and each answer ends with exactly one end-of-turn token, so the ids a trainer builds
/// for prompt + answer equal what rendering the whole conversation gives. Over-long examples are cut by
/// <see cref="Truncation"/>; a prompt that leaves no room for an answer is an error naming the file line.
/// </summary>
public sealed class Featurizer
{
    private readonly Tokenizer tokenizer;
    private readonly int? bos;

    public Featurizer(Tokenizer tokenizer, ChatTemplate template, int maxLength, string source = "data")
    {
        if (maxLength < 2) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "max_length must be at least 2");
        this.tokenizer = tokenizer;
        Template = template;
        MaxLength = maxLength;
        Source = source;
        bos = tokenizer.AddsBos ? tokenizer.Bos?.Id : null;
    }

    public ChatTemplate Template { get; }
    public int MaxLength { get; }

    /// <summary>Name used in error messages (the data file).</summary>
    public string Source { get; }

    public SftFeatures Sft(SftExample ex)
    {
        var messages = ex.Messages ?? Conversation(ex.Prompt!, ex.Completion!);
        var enc = Encode(messages, false, ex.Line);
        int split = LastAnswerStart(enc.AssistantMask, ex.Line);
        int end = LastAnswerEnd(enc.AssistantMask);
        var ids = enc.InputIds[..end];
        var mask = enc.AssistantMask[..end];
        var (p, a) = Fit(split, end - split, ex.Line);
        var promptIds = Truncation.KeepEnd(ids[..split], p, bos);
        var promptMask = KeepEndMask(mask[..split], ids[..split], p);
        var inputIds = promptIds.Concat(ids[split..(split + a)]).ToArray();
        var keep = promptMask.Concat(mask[split..(split + a)]).ToArray();
        var labels = inputIds.Select((id, i) => keep[i] ? id : SftFeatures.IgnoreIndex).ToArray();
        return new SftFeatures(inputIds, labels, ex.Line);
    }

    public PreferenceFeatures Preference(PreferenceExample ex)
    {
        var (prompt, chosen) = PromptAndAnswer(ex.Prompt, ex.Chosen, ex.Line);
        var (prompt2, rejected) = PromptAndAnswer(ex.Prompt, ex.Rejected, ex.Line);
        if (!prompt.AsSpan().SequenceEqual(prompt2))
            throw new InvalidOperationException($"{Source}:{ex.Line}: the prompt tokenized differently before chosen and rejected (template '{Template.Name}')");
        var (p, a) = Fit(prompt.Length, Math.Max(chosen.Length, rejected.Length), ex.Line);
        return new PreferenceFeatures(Truncation.KeepEnd(prompt, p, bos), chosen[..Math.Min(a, chosen.Length)],
                                      rejected[..Math.Min(a, rejected.Length)], ex.Margin, ex.Line);
    }

    public UnpairedFeatures Unpaired(UnpairedExample ex)
    {
        var (prompt, completion) = PromptAndAnswer(ex.Prompt, ex.Completion, ex.Line);
        var (p, a) = Fit(prompt.Length, completion.Length, ex.Line);
        return new UnpairedFeatures(Truncation.KeepEnd(prompt, p, bos), completion[..a], ex.Label, ex.Line);
    }

    /// <summary>Prompt ids ending with the assistant header, ready for generation (cut to keep its end when too long).</summary>
    public int[] GenerationPrompt(Prompt prompt, int maxPromptLength, int line = 0)
    {
        var messages = prompt.Messages ?? new[] { ChatMessage.User(prompt.Text!) };
        var ids = Encode(messages, true, line).InputIds;
        return Truncation.KeepEnd(ids, maxPromptLength, bos);
    }

    private (int[] prompt, int[] answer) PromptAndAnswer(Prompt prompt, Completion completion, int line)
    {
        var enc = Encode(Conversation(prompt, completion), false, line);
        int split = LastAnswerStart(enc.AssistantMask, line);
        int end = LastAnswerEnd(enc.AssistantMask);
        return (enc.InputIds[..split], enc.InputIds[split..end]);
    }

    private static IReadOnlyList<ChatMessage> Conversation(Prompt prompt, Completion completion)
    {
        var messages = new List<ChatMessage>();
        if (prompt.Messages != null) messages.AddRange(prompt.Messages);
        else messages.Add(ChatMessage.User(prompt.Text!));
        if (completion.Messages != null) messages.AddRange(completion.Messages);
        else messages.Add(ChatMessage.Assistant(completion.Text!));
        return messages;
    }

    private ChatEncoding Encode(IReadOnlyList<ChatMessage> messages, bool generationPrompt, int line)
    {
        try
        {
            return Template.Encode(tokenizer, messages, generationPrompt);
        }
        catch (TokenizerException e)
        {
            throw new DatasetException($"{Source}:{line}: {e.Message}");
        }
    }

    private (int prompt, int answer) Fit(int promptLength, int answerLength, int line)
    {
        if (promptLength + answerLength <= MaxLength) return (promptLength, answerLength);
        if (promptLength >= MaxLength)
            throw new DatasetException($"{Source}:{line}: the prompt is {promptLength} tokens, which leaves no room for the answer within " +
                                       $"max_length {MaxLength}; raise max_length or shorten the prompt");
        return Truncation.Budget(promptLength, answerLength, MaxLength);
    }

    private int LastAnswerStart(bool[] mask, int line)
    {
        int end = LastAnswerEnd(mask);
        if (end == 0) throw new DatasetException($"{Source}:{line}: the example has no answer tokens to train on");
        int start = end;
        while (start > 0 && mask[start - 1]) start--;
        return start;
    }

    private static int LastAnswerEnd(bool[] mask)
    {
        int end = mask.Length;
        while (end > 0 && !mask[end - 1]) end--;
        return end;
    }

    private bool[] KeepEndMask(bool[] mask, int[] ids, int length)
    {
        if (length >= ids.Length) return mask;
        if (bos is int b && ids.Length > 0 && ids[0] == b && length >= 2)
            return mask[..1].Concat(mask[^(length - 1)..]).ToArray();
        return mask[^length..];
    }
}
