using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Alignment.Models.Peft;

/// <summary>
/// Bottleneck adapters' settings, as written in the adapter folder's adapter_config.json (this project's own layout,
/// docs/bottleneck-adapters.md: PEFT has no bottleneck adapters, and AdapterHub's placement around a pre-norm decoder
/// is not reproduced). <c>houlsby</c>: adapters after the attention output and after the feed-forward output of every
/// layer; <c>pfeiffer</c>: after the feed-forward output only. Width hidden_size / reduction_factor. Defaults are
/// AdapterHub's: reduction_factor 16 for both, non_linearity swish (DoubleSeqBnConfig, Houlsby) and relu (SeqBnConfig,
/// Pfeiffer).
/// </summary>
public sealed record BottleneckConfig
{
    /// <summary>The layout marker that tells this format from other BOTTLENECK files (LLM-Adapters' wraps linear layers).</summary>
    public const string Layout = "alignment-bottleneck-v1";

    [JsonPropertyName("peft_type")] public string PeftType { get; init; } = "BOTTLENECK";
    [JsonPropertyName("adapter_layout")] public string? AdapterLayout { get; init; } = Layout;

    /// <summary>houlsby or pfeiffer.</summary>
    [JsonPropertyName("config")] public string Config { get; init; } = "houlsby";

    [JsonPropertyName("reduction_factor")] public int ReductionFactor { get; init; } = 16;

    /// <summary>relu, swish, gelu or tanh; null = the config's default (swish for houlsby, relu for pfeiffer).</summary>
    [JsonPropertyName("non_linearity")] public string? NonLinearity { get; init; }

    [JsonPropertyName("hidden_size")] public int? HiddenSize { get; init; }
    [JsonPropertyName("num_layers")] public int? NumLayers { get; init; }
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }

    [JsonIgnore] public string Activation => NonLinearity ?? (Config == "pfeiffer" ? "relu" : "swish");
    [JsonIgnore] public bool AfterAttention => Config == "houlsby";

    public void Validate(string where = "adapter_config.json")
    {
        var errors = new List<string>();
        if (PeftType != "BOTTLENECK") errors.Add($"peft_type '{PeftType}' is not BOTTLENECK");
        if (AdapterLayout != Layout)
            errors.Add($"adapter_layout '{AdapterLayout}' is not '{Layout}' (this reads bottleneck adapters written by Alignment; LLM-Adapters' BOTTLENECK files are not supported)");
        if (Config is not ("houlsby" or "pfeiffer")) errors.Add($"config '{Config}' is not houlsby or pfeiffer");
        if (ReductionFactor < 1) errors.Add($"reduction_factor must be at least 1, got {ReductionFactor}");
        if (Activation is not ("relu" or "swish" or "gelu" or "tanh")) errors.Add($"non_linearity '{Activation}' is not relu, swish, gelu or tanh");
        if (errors.Count > 0) throw new ModelException($"{where}: {string.Join("; ", errors)}");
    }

    public static BottleneckConfig Load(string path) => AdapterJson.Load<BottleneckConfig>(path);

    public string ToJson() => JsonSerializer.Serialize(this with { NonLinearity = Activation }, new JsonSerializerOptions { WriteIndented = true });
}
