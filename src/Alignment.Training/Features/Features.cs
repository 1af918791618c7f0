namespace Alignment.Training.Features;

/// <summary>A tokenized SFT example: labels are the input ids on answer tokens and −100 elsewhere (no loss).</summary>
public sealed record SftFeatures(int[] InputIds, int[] Labels, int Line)
{
    public const int IgnoreIndex = -100;
    public int Length => InputIds.Length;
}

/// <summary>A tokenized preference pair: one prompt, two completions (each ending with the end-of-turn token unless
/// truncated). The model sees prompt + chosen and prompt + rejected.</summary>
public sealed record PreferenceFeatures(int[] PromptIds, int[] ChosenIds, int[] RejectedIds, double? Margin, int Line)
{
    public int Length => PromptIds.Length + Math.Max(ChosenIds.Length, RejectedIds.Length);
}

/// <summary>A tokenized unpaired (KTO) example.</summary>
public sealed record UnpairedFeatures(int[] PromptIds, int[] CompletionIds, bool Label, int Line)
{
    public int Length => PromptIds.Length + CompletionIds.Length;
}
