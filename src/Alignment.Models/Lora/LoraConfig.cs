using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Alignment.Models.Lora;

/// <summary>
/// A LoRA adapter's settings, with PEFT's adapter_config.json key names. Defaults follow what users of TRL expect
/// (TRL/LLaMA-Factory: r 8, alpha 16, dropout 0.05) and PEFT's Llama default targets (q_proj, v_proj).
/// </summary>
public sealed record LoraConfig
{
    /// <summary>The target_modules value that selects every linear layer of the decoder layers (PEFT's "all-linear":
    /// all of them except the output layer).</summary>
    public const string AllLinear = "all-linear";

    /// <summary>Rank of the update B·A.</summary>
    [JsonPropertyName("r")] public int R { get; init; } = 8;

    /// <summary>Scaling numerator: the update is multiplied by lora_alpha / r (or / √r with use_rslora).</summary>
    [JsonPropertyName("lora_alpha")] public double LoraAlpha { get; init; } = 16;

    /// <summary>Dropout on the adapter's input in training mode.</summary>
    [JsonPropertyName("lora_dropout")] public double LoraDropout { get; init; } = 0.05;

    /// <summary>Rank-stabilized LoRA: scale by lora_alpha / √r.</summary>
    [JsonPropertyName("use_rslora")] public bool UseRslora { get; init; }

    /// <summary>DoRA: a trainable magnitude per output row over the direction W + scaling·B·A (key
    /// <c>lora_magnitude_vector</c>).</summary>
    [JsonPropertyName("use_dora")] public bool? UseDora { get; init; }

    /// <summary>PEFT's init_lora_weights: true, false, "gaussian", "pissa", "pissa_niter_K" or "olora" (PiSSA and OLoRA
    /// rewrite the base weight to the residual W − scaling·B₀·A₀).</summary>
    [JsonPropertyName("init_lora_weights")] public JsonElement? InitLoraWeights { get; init; }

    /// <summary>init_lora_weights as a string: "true" when absent or true, "false", or the string value.</summary>
    [JsonIgnore] public string Init => InitLoraWeights switch
    {
        null => "true",
        { ValueKind: JsonValueKind.True or JsonValueKind.Null or JsonValueKind.Undefined } => "true",
        { ValueKind: JsonValueKind.False } => "false",
        { ValueKind: JsonValueKind.String } v => v.GetString()!,
        { } v => v.GetRawText(),
    };

    /// <summary>A config with init_lora_weights set from its string form ("true"/"false" become JSON booleans).</summary>
    public LoraConfig WithInit(string init) => this with
    {
        InitLoraWeights = init switch
        {
            "true" => JsonSerializer.SerializeToElement(true),
            "false" => JsonSerializer.SerializeToElement(false),
            _ => JsonSerializer.SerializeToElement(init),
        },
    };

    /// <summary>True for the initializations that rewrite the base weight (PiSSA, OLoRA).</summary>
    [JsonIgnore] public bool MutatesBase => Init == "olora" || Init.StartsWith("pissa", StringComparison.Ordinal);

    /// <summary>Leaf module names to adapt (q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj), or
    /// ["all-linear"].</summary>
    [JsonPropertyName("target_modules"), JsonConverter(typeof(StringOrListConverter))]
    public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];

    /// <summary>The base model the adapter belongs to (a hub id or a folder).</summary>
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }

    [JsonPropertyName("task_type")] public string? TaskType { get; init; } = "CAUSAL_LM";
    [JsonPropertyName("peft_type")] public string? PeftType { get; init; } = "LORA";

    // Keys that change what the adapter computes. Read so that a file using them is refused, never misread.
    [JsonPropertyName("bias")] public string? Bias { get; init; } = "none";
    [JsonPropertyName("fan_in_fan_out")] public bool? FanInFanOut { get; init; }
    [JsonPropertyName("lora_bias")] public bool? LoraBias { get; init; }
    [JsonPropertyName("rank_pattern")] public Dictionary<string, JsonElement>? RankPattern { get; init; }
    [JsonPropertyName("alpha_pattern")] public Dictionary<string, JsonElement>? AlphaPattern { get; init; }
    [JsonPropertyName("layers_to_transform")] public JsonElement? LayersToTransform { get; init; }
    [JsonPropertyName("modules_to_save")] public JsonElement? ModulesToSave { get; init; }
    [JsonPropertyName("exclude_modules")] public JsonElement? ExcludeModules { get; init; }
    [JsonPropertyName("trainable_token_indices")] public JsonElement? TrainableTokenIndices { get; init; }
    [JsonPropertyName("layer_replication")] public JsonElement? LayerReplication { get; init; }

    /// <summary>lora_alpha / r, or lora_alpha / √r with rsLoRA.</summary>
    [JsonIgnore] public double Scaling => UseRslora ? LoraAlpha / Math.Sqrt(R) : LoraAlpha / R;

    [JsonIgnore] public bool IsAllLinear => TargetModules.Count == 1 && TargetModules[0] == AllLinear;

    /// <summary>Throws when these settings ask for something this implementation does not compute, naming each.</summary>
    public void Validate(string where = "adapter_config.json")
    {
        var errors = new List<string>();
        if (PeftType is not null && PeftType != "LORA") errors.Add($"peft_type '{PeftType}' is not LORA");
        if (TaskType is not null && TaskType != "CAUSAL_LM") errors.Add($"task_type '{TaskType}' is not supported (CAUSAL_LM only)");
        if (R < 1) errors.Add($"r must be at least 1, got {R}");
        if (!(LoraDropout >= 0 && LoraDropout < 1)) errors.Add($"lora_dropout must be in [0, 1), got {LoraDropout}");
        if (TargetModules.Count == 0) errors.Add("target_modules is empty");
        if (TargetModules.Any(t => t.IndexOfAny(['*', '.', '(', '[', '|', '\\', '^', '$']) >= 0 && t != AllLinear))
            errors.Add($"target_modules [{string.Join(", ", TargetModules)}] uses a regular expression or a dotted path; give leaf names (q_proj, ...) or all-linear");
        if (Bias is not null && Bias != "none") errors.Add($"bias '{Bias}' is not supported (none only)");
        if (FanInFanOut == true) errors.Add("fan_in_fan_out true is not supported (Conv1D-style weights)");
        try { Core.LoraLinear.ParseInit(Init); }
        catch (ModelException e) { errors.Add(e.Message); }
        // PEFT converts a trained PiSSA/OLoRA adapter to plain LoRA from lora_A/lora_B alone; a DoRA magnitude has no
        // such conversion, so the combination is refused rather than saved in a form that cannot be applied.
        if (UseDora == true && MutatesBase) errors.Add($"use_dora with init_lora_weights '{Init}' is not supported (DoRA needs the default, false or gaussian initialization)");
        if (LoraBias == true) errors.Add("lora_bias true is not supported");
        if (RankPattern is { Count: > 0 }) errors.Add("rank_pattern (per-module ranks) is not supported");
        if (AlphaPattern is { Count: > 0 }) errors.Add("alpha_pattern (per-module alphas) is not supported");
        if (IsSet(LayersToTransform)) errors.Add("layers_to_transform is not supported (adapters on every layer only)");
        if (IsSet(ModulesToSave)) errors.Add("modules_to_save is not supported");
        if (IsSet(ExcludeModules)) errors.Add("exclude_modules is not supported");
        if (IsSet(TrainableTokenIndices)) errors.Add("trainable_token_indices is not supported");
        if (IsSet(LayerReplication)) errors.Add("layer_replication is not supported");
        if (errors.Count > 0) throw new ModelException($"{where}: {string.Join("; ", errors)}");
    }

    private static bool IsSet(JsonElement? e) => Peft.AdapterJson.IsSet(e);

    /// <summary>Reads adapter_config.json.</summary>
    public static LoraConfig Load(string path)
    {
        if (!File.Exists(path)) throw new ModelException($"{path}: not found; a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors");
        try
        {
            string json = File.ReadAllText(path);
            // PEFT reads a string target_modules as a regular expression over full module names (except "all-linear").
            if (JsonNode.Parse(json)?["target_modules"] is JsonValue v && v.TryGetValue(out string? pattern) && pattern != AllLinear)
                throw new ModelException($"{path}: target_modules is the regular expression '{pattern}'; only a list of leaf names or all-linear is supported");
            return JsonSerializer.Deserialize<LoraConfig>(json) ?? throw new ModelException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: {e.Message}");
        }
    }

    /// <summary>adapter_config.json as PEFT writes it (the key set PEFT has written since 0.10, so older and newer PEFT
    /// versions load it), with <paramref name="targetModules"/> the adapted leaf names (PEFT expands all-linear too).</summary>
    public string ToPeftJson(IEnumerable<string> targetModules, string? baseModel)
    {
        var obj = new JsonObject
        {
            ["alpha_pattern"] = new JsonObject(),
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModel ?? BaseModelNameOrPath,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["inference_mode"] = true,
            ["init_lora_weights"] = Init switch { "true" => true, "false" => false, var v => v },
            ["layer_replication"] = null,
            ["layers_pattern"] = null,
            ["layers_to_transform"] = null,
            ["loftq_config"] = new JsonObject(),
            ["lora_alpha"] = LoraAlpha,
            ["lora_dropout"] = LoraDropout,
            ["megatron_config"] = null,
            ["megatron_core"] = "megatron.core",
            ["modules_to_save"] = null,
            ["peft_type"] = "LORA",
            ["r"] = R,
            ["rank_pattern"] = new JsonObject(),
            ["revision"] = null,
            ["target_modules"] = new JsonArray(targetModules.Order(StringComparer.Ordinal).Select(t => (JsonNode)t).ToArray()),
            ["task_type"] = "CAUSAL_LM",
            ["use_dora"] = UseDora == true,
            ["use_rslora"] = UseRslora,
        };
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}

/// <summary>target_modules may be a string ("all-linear" or a regular expression) or a list of names.</summary>
internal sealed class StringOrListConverter : JsonConverter<IReadOnlyList<string>>
{
    public override IReadOnlyList<string> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.String) return [reader.GetString()!];
        if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("target_modules must be a string or a list of strings");
        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.String) throw new JsonException("target_modules must list strings");
            list.Add(reader.GetString()!);
        }
        return list;
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<string> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (var v in value) writer.WriteStringValue(v);
        writer.WriteEndArray();
    }
}
