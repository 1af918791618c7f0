using System.Text.Json;
using System.Text.Json.Serialization;

namespace Alignment.Models.Llama;

/// <summary>
/// config.json's rope_scaling (transformers 4.x) or rope_parameters (5.x). Implemented: "default" (plain RoPE) and
/// "llama3" (Llama 3.1's piecewise frequency rescaling); any other rope_type is refused by
/// <see cref="LlamaConfig.Validate"/> rather than run as plain RoPE.
/// </summary>
public sealed record RopeScaling
{
    [JsonPropertyName("rope_type")] public string? RopeType { get; init; }
    /// <summary>The older name of rope_type.</summary>
    [JsonPropertyName("type")] public string? Type { get; init; }
    [JsonPropertyName("factor")] public double? Factor { get; init; }
    [JsonPropertyName("low_freq_factor")] public double? LowFreqFactor { get; init; }
    [JsonPropertyName("high_freq_factor")] public double? HighFreqFactor { get; init; }
    [JsonPropertyName("original_max_position_embeddings")] public int? OriginalMaxPositionEmbeddings { get; init; }
    /// <summary>rope_parameters (5.x) carries rope_theta here.</summary>
    [JsonPropertyName("rope_theta")] public double? RopeTheta { get; init; }
    /// <summary>Keys this record does not model (kept so a validation error can name them).</summary>
    [JsonExtensionData] public Dictionary<string, JsonElement>? Extra { get; init; }

    /// <summary>rope_type, else type, else "default".</summary>
    [JsonIgnore] public string Kind => RopeType ?? Type ?? "default";

    /// <summary>What makes this scaling unusable here (empty when fine).</summary>
    internal IEnumerable<string> Problems(int? maxPositionEmbeddings)
    {
        if (Kind != "llama3")
        {
            yield return $"rope_type '{Kind}' is not implemented (supported: default, llama3); running it as plain RoPE would be silently wrong";
            yield break;
        }
        if (Factor is null) yield return "rope_scaling (llama3) lacks 'factor'";
        if (LowFreqFactor is null) yield return "rope_scaling (llama3) lacks 'low_freq_factor'";
        if (HighFreqFactor is null) yield return "rope_scaling (llama3) lacks 'high_freq_factor'";
        if (OriginalMaxPositionEmbeddings is null) yield return "rope_scaling (llama3) lacks 'original_max_position_embeddings'";
        if (Factor is <= 0) yield return $"rope_scaling factor must be positive, got {Factor}";
        if (LowFreqFactor is { } lo && HighFreqFactor is { } hi && hi <= lo)
            yield return $"rope_scaling high_freq_factor ({hi}) must be greater than low_freq_factor ({lo})";
        if (OriginalMaxPositionEmbeddings is <= 0) yield return $"rope_scaling original_max_position_embeddings must be positive, got {OriginalMaxPositionEmbeddings}";
    }
}
