namespace Alignment.Tokenizers.Training;

/// <summary>Options of <see cref="BpeTrainer"/>.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Llama 3's split regex (numbers in runs of at most three digits). The default <see cref="SplitPattern"/>.</summary>
    public const string Llama3Pattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>GPT-2's split regex.</summary>
    public const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>
    /// Size of the whole vocabulary: the 256 byte tokens, the learned merges and the special tokens.
    /// Training stops earlier when no pair occurs <see cref="MinFrequency"/> times. Required.
    /// </summary>
    public required int VocabSize { get; init; }

    /// <summary>Special tokens (e.g. <c>&lt;|endoftext|&gt;</c>, <c>&lt;|im_start|&gt;</c>, <c>&lt;|im_end|&gt;</c>), given the last ids in this order. Default none.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = [];

    /// <summary>The pre-tokenizer regex; no merge crosses a piece it cuts. Default <see cref="Llama3Pattern"/>.</summary>
    public string SplitPattern { get; init; } = Llama3Pattern;

    /// <summary>A pair seen fewer times than this in the corpus is never merged. Default 2.</summary>
    public int MinFrequency { get; init; } = 2;

    /// <summary>tokenizer_config.json <c>bos_token</c> written by <see cref="TrainedBpe.Save"/>; must be a special token. Default none.</summary>
    public string? BosToken { get; init; }

    /// <summary>tokenizer_config.json <c>eos_token</c>; must be a special token. Default none.</summary>
    public string? EosToken { get; init; }

    /// <summary>tokenizer_config.json <c>pad_token</c>; must be a special token. Default none.</summary>
    public string? PadToken { get; init; }
}
