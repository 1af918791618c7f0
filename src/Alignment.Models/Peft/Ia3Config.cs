using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Alignment.Models.Lora;

namespace Alignment.Models.Peft;

/// <summary>
/// An IA3 adapter's settings with PEFT's adapter_config.json keys (IA3Config). The defaults are PEFT's for llama,
/// mistral and qwen2 (TRANSFORMERS_MODELS_TO_IA3_TARGET_MODULES_MAPPING: k_proj, v_proj, down_proj;
/// TRANSFORMERS_MODELS_TO_IA3_FEEDFORWARD_MODULES_MAPPING: down_proj). Feed-forward modules must be targets.
/// </summary>
public sealed record Ia3Config
{
    [JsonPropertyName("peft_type")] public string? PeftType { get; init; } = "IA3";
    [JsonPropertyName("task_type")] public string? TaskType { get; init; } = "CAUSAL_LM";

    [JsonPropertyName("target_modules"), JsonConverter(typeof(StringOrListConverter))]
    public IReadOnlyList<string> TargetModules { get; init; } = ["k_proj", "v_proj", "down_proj"];

    /// <summary>Targets whose input (not output) is rescaled.</summary>
    [JsonPropertyName("feedforward_modules"), JsonConverter(typeof(StringOrListConverter))]
    public IReadOnlyList<string> FeedforwardModules { get; init; } = ["down_proj"];

    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }

    // Keys that change what the adapter computes. Read so that a file using them is refused, never misread.
    [JsonPropertyName("fan_in_fan_out")] public bool? FanInFanOut { get; init; }
    [JsonPropertyName("init_ia3_weights")] public bool? InitIa3Weights { get; init; }
    [JsonPropertyName("modules_to_save")] public JsonElement? ModulesToSave { get; init; }
    [JsonPropertyName("exclude_modules")] public JsonElement? ExcludeModules { get; init; }
    [JsonPropertyName("layers_to_transform")] public JsonElement? LayersToTransform { get; init; }

    /// <summary>Throws when these settings ask for something this implementation does not compute, naming each.</summary>
    public void Validate(string where = "adapter_config.json")
    {
        var errors = new List<string>();
        if (PeftType is not null && PeftType != "IA3") errors.Add($"peft_type '{PeftType}' is not IA3");
        if (TaskType is not null && TaskType != "CAUSAL_LM") errors.Add($"task_type '{TaskType}' is not supported (CAUSAL_LM only)");
        if (TargetModules.Count == 0) errors.Add("target_modules is empty");
        if (TargetModules.Concat(FeedforwardModules).Any(t => t.IndexOfAny(['*', '.', '(', '[', '|', '\\', '^', '$']) >= 0))
            errors.Add("target_modules and feedforward_modules must be leaf names (k_proj, ...), not regular expressions or dotted paths");
        var extra = FeedforwardModules.Where(f => !TargetModules.Contains(f)).ToList();
        if (extra.Count > 0) errors.Add($"feedforward_modules [{string.Join(", ", extra)}] are not among target_modules (PEFT requires them to be a subset)");
        if (FanInFanOut == true) errors.Add("fan_in_fan_out true is not supported");
        if (InitIa3Weights == false) errors.Add("init_ia3_weights false is not supported (vectors start at ones)");
        foreach (var (key, value) in new[] { ("modules_to_save", ModulesToSave), ("exclude_modules", ExcludeModules), ("layers_to_transform", LayersToTransform) })
            if (AdapterJson.IsSet(value)) errors.Add($"{key} is not supported");
        if (errors.Count > 0) throw new ModelException($"{where}: {string.Join("; ", errors)}");
    }

    public static Ia3Config Load(string path) => AdapterJson.Load<Ia3Config>(path);

    /// <summary>adapter_config.json as PEFT writes it for IA3.</summary>
    public string ToPeftJson(string? baseModel)
    {
        static JsonArray List(IEnumerable<string> names) => new(names.Order(StringComparer.Ordinal).Select(n => (JsonNode)n).ToArray());
        var obj = new JsonObject
        {
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModel ?? BaseModelNameOrPath,
            ["exclude_modules"] = null,
            ["fan_in_fan_out"] = false,
            ["feedforward_modules"] = List(FeedforwardModules),
            ["inference_mode"] = true,
            ["init_ia3_weights"] = true,
            ["modules_to_save"] = null,
            ["peft_type"] = "IA3",
            ["revision"] = null,
            ["target_modules"] = List(TargetModules),
            ["task_type"] = "CAUSAL_LM",
        };
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
