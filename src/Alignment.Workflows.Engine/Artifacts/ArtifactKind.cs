namespace Alignment.Workflows.Artifacts;

/// <summary>What an artifact holds. Stored and printed as its code (<c>dataset</c>, <c>reward-model</c> ...).</summary>
public enum ArtifactKind
{
    /// <summary>A JSONL data set in one of TRL's shapes (SFT, preference, unpaired, prompts) or prompt/completion responses.</summary>
    Dataset,
    /// <summary>A Hugging Face model folder (config.json, model.safetensors, tokenizer files).</summary>
    Model,
    /// <summary>A PEFT adapter folder (adapter_config.json, adapter_model.safetensors).</summary>
    Adapter,
    /// <summary>A reward model folder (backbone plus score head).</summary>
    RewardModel,
    /// <summary>Precomputed reference-model log-probabilities for DPO.</summary>
    RefLogps,
    /// <summary>A labeling project's comparisons (JSON: project name, overlap, pairs).</summary>
    Comparisons,
    /// <summary>The judgments on a project's comparisons (JSONL: votes, adjudications, gold answers per comparison).</summary>
    Judgments,
    /// <summary>An evaluation or run report (JSON).</summary>
    Report,
}

/// <summary>Text codes of <see cref="ArtifactKind"/>.</summary>
public static class ArtifactKinds
{
    /// <summary>The code: dataset, model, adapter, reward-model, ref-logps, comparisons, judgments, report.</summary>
    public static string ToCode(this ArtifactKind kind) => kind switch
    {
        ArtifactKind.Dataset => "dataset",
        ArtifactKind.Model => "model",
        ArtifactKind.Adapter => "adapter",
        ArtifactKind.RewardModel => "reward-model",
        ArtifactKind.RefLogps => "ref-logps",
        ArtifactKind.Comparisons => "comparisons",
        ArtifactKind.Judgments => "judgments",
        ArtifactKind.Report => "report",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Every kind, in declaration order.</summary>
    public static IReadOnlyList<ArtifactKind> All { get; } = Enum.GetValues<ArtifactKind>();

    /// <summary>Parses a code; throws <see cref="FormatException"/> listing the codes.</summary>
    public static ArtifactKind Parse(string code)
    {
        string wanted = code.Trim().ToLowerInvariant();
        foreach (var kind in All)
            if (kind.ToCode() == wanted) return kind;
        throw new FormatException($"'{code}' is not an artifact kind; expected one of {string.Join(", ", All.Select(k => k.ToCode()))}");
    }
}
