namespace Alignment.Models.Generation;

/// <summary>Why a sequence stopped.</summary>
public enum FinishReason
{
    /// <summary>It produced one of the end-of-sequence ids (included in its tokens).</summary>
    Eos,
    /// <summary>Its tokens ended with one of the stop sequences (included in its tokens).</summary>
    StopSequence,
    /// <summary>It reached max_new_tokens.</summary>
    Length,
}

/// <summary>One generated continuation.</summary>
/// <param name="Tokens">The new token ids (the prompt excluded), up to and including an EOS id or stop sequence.</param>
/// <param name="LogProbs">For each new token, its natural-log probability under the model's unmodified next-token
/// distribution (log_softmax of the raw logits: before temperature, top-k and top-p), the quantity PPO and DPO need.</param>
/// <param name="FinishReason">Why it stopped.</param>
public sealed record GeneratedSequence(long[] Tokens, float[] LogProbs, FinishReason FinishReason);

/// <summary>Reported after each decoding step (progress, and tests that watch memory).</summary>
/// <param name="Step">0-based index of the token just produced.</param>
/// <param name="Unfinished">Sequences still generating after this step.</param>
public sealed record GenerationStep(int Step, int Unfinished);

/// <summary>How to decode; names follow transformers' GenerationConfig.</summary>
public sealed record GenerationOptions
{
    /// <summary>Most new tokens per sequence (default 64).</summary>
    public int MaxNewTokens { get; init; } = 64;

    /// <summary>Sample from the (warped) distribution; false (default) is greedy decoding, where temperature, top-k and
    /// top-p do not apply.</summary>
    public bool DoSample { get; init; }

    /// <summary>Divides the logits before sampling (default 1).</summary>
    public double Temperature { get; init; } = 1.0;

    /// <summary>Sample among the k most likely tokens only; 0 (default) = all.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus sampling: the smallest set of most likely tokens whose probability reaches top_p; 1 (default) = all.</summary>
    public double TopP { get; init; } = 1.0;

    /// <summary>Token ids that end a sequence (e.g. config.json's eos_token_id list).</summary>
    public IReadOnlyList<long> EosTokenIds { get; init; } = [];

    /// <summary>Token-id sequences that end a sequence when its new tokens end with one of them (stop strings, tokenized).</summary>
    public IReadOnlyList<long[]> StopSequences { get; init; } = [];

    /// <summary>Id used for left padding and fed to finished sequences (its value never reaches a result; default 0).</summary>
    public long PadTokenId { get; init; }

    /// <summary>Keep keys and values of earlier positions (default true); false recomputes the whole sequence each step.</summary>
    public bool UseCache { get; init; } = true;

    /// <summary>Called after every step, outside the step's dispose scope.</summary>
    public Action<GenerationStep>? OnStep { get; init; }

    internal void Validate(long vocab)
    {
        if (MaxNewTokens < 1) throw new ModelException($"max_new_tokens must be at least 1, got {MaxNewTokens}");
        if (!(Temperature > 0)) throw new ModelException($"temperature must be positive, got {Temperature} (use DoSample = false for greedy decoding)");
        if (TopK < 0) throw new ModelException($"top_k must be 0 (off) or positive, got {TopK}");
        if (!(TopP > 0 && TopP <= 1)) throw new ModelException($"top_p must be in (0, 1], got {TopP}");
        foreach (long id in EosTokenIds.Append(PadTokenId))
            if (id < 0 || id >= vocab) throw new ModelException($"token id {id} (eos or pad) is outside the vocabulary [0, {vocab})");
        if (StopSequences.Any(s => s.Length == 0)) throw new ModelException("a stop sequence is empty");
    }
}
