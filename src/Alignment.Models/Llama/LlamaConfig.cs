using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Alignment.Models.Quantization;
using Alignment.Torch;

namespace Alignment.Models.Llama;

/// <summary>
/// A Hugging Face config.json of a Llama-shaped decoder: model_type llama, mistral, qwen2 or qwen3. Properties map the
/// file's keys one to one (<see cref="JsonPropertyNameAttribute"/>) and are null when the key is absent; the resolved
/// values (<see cref="KeyValueHeads"/>, <see cref="HeadDim"/> ...) apply each transformers config class's defaults.
/// The keys read from a file are kept (<see cref="Source"/>) so saving writes them back unchanged.
/// </summary>
public sealed record LlamaConfig
{
    /// <summary>The model types this decoder implements.</summary>
    public static readonly IReadOnlyList<string> SupportedModelTypes = ["llama", "mistral", "qwen2", "qwen3"];

    [JsonPropertyName("model_type")] public string? ModelType { get; init; }
    [JsonPropertyName("architectures")] public string[]? Architectures { get; init; }
    [JsonPropertyName("vocab_size")] public int? VocabSize { get; init; }
    [JsonPropertyName("hidden_size")] public int? HiddenSize { get; init; }
    [JsonPropertyName("intermediate_size")] public int? IntermediateSize { get; init; }
    [JsonPropertyName("num_hidden_layers")] public int? NumHiddenLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int? NumAttentionHeads { get; init; }
    [JsonPropertyName("num_key_value_heads")] public int? NumKeyValueHeads { get; init; }
    /// <summary>Per-head size; absent means hidden_size / num_attention_heads (qwen3: 128).</summary>
    [JsonPropertyName("head_dim")] public int? HeadDimension { get; init; }
    [JsonPropertyName("hidden_act")] public string? HiddenAct { get; init; }
    [JsonPropertyName("max_position_embeddings")] public int? MaxPositionEmbeddings { get; init; }
    [JsonPropertyName("initializer_range")] public double? InitializerRange { get; init; }
    [JsonPropertyName("rms_norm_eps")] public double? RmsNormEps { get; init; }
    [JsonPropertyName("rope_theta")] public double? RopeTheta { get; init; }
    /// <summary>transformers 4.x: RoPE scaling, e.g. {"rope_type": "llama3", "factor": 8.0, ...}.</summary>
    [JsonPropertyName("rope_scaling")] public RopeScaling? RopeScaling { get; init; }
    /// <summary>transformers 5.x: rope_theta and the scaling in one object.</summary>
    [JsonPropertyName("rope_parameters")] public RopeScaling? RopeParameters { get; init; }
    [JsonPropertyName("partial_rotary_factor")] public double? PartialRotaryFactor { get; init; }
    /// <summary>llama and qwen3: bias on q/k/v/o projections (qwen2 always has q/k/v biases; mistral never).</summary>
    [JsonPropertyName("attention_bias")] public bool? AttentionBias { get; init; }
    /// <summary>llama: bias on gate/up/down projections.</summary>
    [JsonPropertyName("mlp_bias")] public bool? MlpBias { get; init; }
    [JsonPropertyName("attention_dropout")] public double? AttentionDropout { get; init; }
    [JsonPropertyName("tie_word_embeddings")] public bool? TieWordEmbeddings { get; init; }
    [JsonPropertyName("bos_token_id")] public int? BosTokenId { get; init; }
    /// <summary>One id or a list of ids (the file may hold either).</summary>
    [JsonPropertyName("eos_token_id"), JsonConverter(typeof(IdListConverter))] public int[]? EosTokenId { get; init; }
    [JsonPropertyName("pad_token_id")] public int? PadTokenId { get; init; }
    [JsonPropertyName("torch_dtype")] public string? TorchDtype { get; init; }
    [JsonPropertyName("sliding_window")] public int? SlidingWindow { get; init; }
    [JsonPropertyName("use_sliding_window")] public bool? UseSlidingWindow { get; init; }
    [JsonPropertyName("max_window_layers")] public int? MaxWindowLayers { get; init; }
    /// <summary>Per layer "full_attention" or "sliding_attention" (newer transformers).</summary>
    [JsonPropertyName("layer_types")] public string[]? LayerTypes { get; init; }
    /// <summary>transformers' BitsAndBytesConfig of a bitsandbytes 4-bit checkpoint (other methods are refused).</summary>
    [JsonPropertyName("quantization_config")] public JsonElement? QuantizationConfig { get; init; }

    /// <summary>The 4-bit settings of a bitsandbytes checkpoint, or null for a float one.</summary>
    [JsonIgnore] public QuantizationOptions? Quantization =>
        QuantizationConfig is { ValueKind: JsonValueKind.Object } qc ? QuantizationOptions.FromHfConfig(qc, "quantization_config") : null;
    /// <summary>Class labels of a sequence-classification head (their count is num_labels).</summary>
    [JsonPropertyName("id2label")] public Dictionary<string, string>? Id2Label { get; init; }

    /// <summary>The config.json object this record was read from (null when built in code); saving starts from it so
    /// unknown keys survive a round trip.</summary>
    [JsonIgnore] public JsonObject? Source { get; init; }

    // ---- resolved values (transformers' defaults where a key is absent) ----

    [JsonIgnore] private string Type => ModelType ?? "";

    [JsonIgnore] public int Vocab => VocabSize ?? 0;
    [JsonIgnore] public int Hidden => HiddenSize ?? 0;
    [JsonIgnore] public int Intermediate => IntermediateSize ?? 0;
    [JsonIgnore] public int Layers => NumHiddenLayers ?? 0;
    [JsonIgnore] public int Heads => NumAttentionHeads ?? 0;

    /// <summary>num_key_value_heads; absent: mistral 8, the others num_attention_heads.</summary>
    [JsonIgnore] public int KeyValueHeads => NumKeyValueHeads ?? (Type == "mistral" ? 8 : Heads);

    /// <summary>head_dim; absent: qwen3 128, the others hidden_size / num_attention_heads.</summary>
    [JsonIgnore] public int HeadDim => HeadDimension ?? (Type == "qwen3" ? 128 : Heads > 0 ? Hidden / Heads : 0);

    [JsonIgnore] public double Eps => RmsNormEps ?? 1e-6;

    /// <summary>rope_theta, from the top level (4.x) or rope_parameters (5.x); default 10000.</summary>
    [JsonIgnore] public double Theta => RopeTheta ?? RopeParameters?.RopeTheta ?? 10000.0;

    /// <summary>The RoPE scaling in effect (rope_scaling, else rope_parameters), or null for plain RoPE.</summary>
    [JsonIgnore] public RopeScaling? Rope
    {
        get
        {
            var r = RopeScaling ?? RopeParameters;
            return r is null || r.Kind == "default" ? null : r;
        }
    }

    [JsonIgnore] public double InitStd => InitializerRange ?? 0.02;
    [JsonIgnore] public bool Tied => TieWordEmbeddings ?? false;

    /// <summary>q/k/v projections carry a bias: qwen2 always, llama and qwen3 when attention_bias.</summary>
    [JsonIgnore] public bool QkvBias => Type == "qwen2" || (Type is "llama" or "qwen3" && (AttentionBias ?? false));

    /// <summary>o_proj carries a bias: llama and qwen3 when attention_bias.</summary>
    [JsonIgnore] public bool OutputBias => Type is "llama" or "qwen3" && (AttentionBias ?? false);

    /// <summary>gate/up/down projections carry a bias: llama when mlp_bias.</summary>
    [JsonIgnore] public bool MlpHasBias => Type == "llama" && (MlpBias ?? false);

    /// <summary>Per-head RMSNorm of queries and keys before RoPE (qwen3).</summary>
    [JsonIgnore] public bool QkNorm => Type == "qwen3";

    /// <summary>The sliding-attention window of one layer, or null when the layer attends to everything.
    /// mistral: sliding_window on every layer (absent key: 4096, transformers' default). qwen2/qwen3: only with
    /// use_sliding_window, on the layers layer_types marks (else layers ≥ max_window_layers).</summary>
    public int? SlidingWindowOf(int layer)
    {
        int? window = Type switch
        {
            "mistral" => Source is not null && !Source.ContainsKey("sliding_window") ? 4096 : SlidingWindow,
            "qwen2" or "qwen3" => UseSlidingWindow == true ? SlidingWindow ?? 4096 : null,
            _ => null,
        };
        if (window is null) return null;
        if (LayerTypes is { } types) return layer < types.Length && types[layer] == "sliding_attention" ? window : null;
        if (Type is "qwen2" or "qwen3") return layer >= (MaxWindowLayers ?? 28) ? window : null;
        return window;
    }

    // ---- reading, checking, writing ----

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        WriteIndented = true,
    };

    /// <summary>Reads <c>folder/config.json</c> (or a config.json path).</summary>
    /// <exception cref="ModelException">Missing file, invalid JSON, a key of the wrong type.</exception>
    public static LlamaConfig Load(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file))
            throw new ModelException($"{file}: not found; a Hugging Face model folder holds config.json next to its safetensors weights");
        return Parse(File.ReadAllText(file), file);
    }

    /// <summary>Parses config.json text; <paramref name="where"/> names it in errors.</summary>
    public static LlamaConfig Parse(string json, string where = "config.json")
    {
        JsonObject obj;
        try
        {
            obj = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { AllowDuplicateProperties = false }) as JsonObject ?? throw new ModelException($"{where}: the top level must be a JSON object");
        }
        catch (JsonException e)
        {
            throw new ModelException($"{where}: not valid JSON ({e.Message})");
        }
        try
        {
            var config = obj.Deserialize<LlamaConfig>(JsonOptions) ?? throw new ModelException($"{where}: empty configuration");
            return config with { Source = obj };
        }
        catch (JsonException e)
        {
            throw new ModelException($"{where}: key '{e.Path?.TrimStart('$', '.')}' has the wrong type ({e.Message})");
        }
    }

    /// <summary>Checks that this decoder implements the configuration exactly; returns warnings about options that are
    /// accepted but limited (a sliding window, attention dropout).</summary>
    /// <param name="where">Names the configuration in messages (e.g. the config.json path).</param>
    /// <exception cref="ModelException">Every problem found, at once: unknown model_type, missing sizes, an
    /// unsupported activation or RoPE type, heads that do not divide.</exception>
    public IReadOnlyList<string> Validate(string where = "config.json")
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        if (ModelType is null || !SupportedModelTypes.Contains(ModelType))
        {
            throw new ModelException($"{where}: model_type '{ModelType ?? "(missing)"}' is not supported; this decoder implements " +
                                     $"{string.Join(", ", SupportedModelTypes)} (architectures {string.Join(", ", Architectures ?? [])}).");
        }
        void Positive(string key, int? value)
        {
            if (value is null) errors.Add($"'{key}' is missing");
            else if (value <= 0) errors.Add($"'{key}' must be positive, got {value}");
        }
        Positive("vocab_size", VocabSize);
        Positive("hidden_size", HiddenSize);
        Positive("intermediate_size", IntermediateSize);
        Positive("num_hidden_layers", NumHiddenLayers);
        Positive("num_attention_heads", NumAttentionHeads);
        if (NumKeyValueHeads is <= 0) errors.Add($"'num_key_value_heads' must be positive, got {NumKeyValueHeads}");
        if (HeadDimension is <= 0) errors.Add($"'head_dim' must be positive, got {HeadDimension}");
        if (Heads > 0 && KeyValueHeads > 0 && Heads % KeyValueHeads != 0)
            errors.Add($"num_attention_heads ({Heads}) must be a multiple of num_key_value_heads ({KeyValueHeads})");
        if (HeadDimension is null && Type != "qwen3" && Heads > 0 && Hidden % Heads != 0)
            errors.Add($"hidden_size ({Hidden}) is not divisible by num_attention_heads ({Heads}) and no head_dim is given");
        if (HeadDim > 0 && HeadDim % 2 != 0) errors.Add($"head_dim {HeadDim} must be even for rotary embeddings");
        if (HiddenAct is not null && HiddenAct is not ("silu" or "swish"))
            errors.Add($"hidden_act '{HiddenAct}' is not supported (only silu, the SwiGLU activation of these models)");
        if (PartialRotaryFactor is { } prf && prf != 1.0)
            errors.Add($"partial_rotary_factor {prf} is not supported (RoPE over the whole head only)");
        if (QuantizationConfig is { ValueKind: not JsonValueKind.Null } qc)
            try { QuantizationOptions.FromHfConfig(qc, "quantization_config"); }
            catch (ModelException e) { errors.Add(e.Message); }
        if (MlpBias == true && Type != "llama")
            errors.Add($"mlp_bias is a llama option; {Type} models have no MLP biases");
        if (RopeScaling is { } rs && RopeParameters is { } rp && rs.Kind != rp.Kind && rp.Kind != "default")
            errors.Add($"rope_scaling ({rs.Kind}) and rope_parameters ({rp.Kind}) disagree");
        if (Rope is { } rope) errors.AddRange(rope.Problems(MaxPositionEmbeddings));
        if (Theta <= 0) errors.Add($"rope_theta must be positive, got {Theta}");
        if (LayerTypes is { } lt && lt.Any(t => t is not ("full_attention" or "sliding_attention")))
            errors.Add($"layer_types may hold only full_attention and sliding_attention, got [{string.Join(", ", lt)}]");
        if (errors.Count > 0)
            throw new ModelException($"{where}: {string.Join("; ", errors)}. Fix the configuration (it must describe the checkpoint's weights).");

        var sliding = Enumerable.Range(0, Layers).Select(SlidingWindowOf).Where(w => w is not null).Distinct().ToList();
        if (sliding.Count > 0)
            warnings.Add($"{where}: sliding-window attention (window {string.Join("/", sliding)}) is not implemented; sequences up to the window " +
                         "are exact, longer ones are refused with an error.");
        if (AttentionDropout is > 0)
            warnings.Add($"{where}: attention_dropout {AttentionDropout} is not applied (attention runs without dropout in training too).");
        return warnings;
    }

    /// <summary>The config.json text to save: the keys read from the file (or this record's non-null keys when built in
    /// code) with torch_dtype set to <paramref name="dtype"/> ("dtype" too, when the file uses transformers 5's name).</summary>
    /// <param name="dtype">The dtype the weights are saved in.</param>
    /// <param name="edit">Further changes (a head's architectures and labels).</param>
    public string ToJson(ScalarType dtype, Action<JsonObject>? edit = null)
    {
        var obj = Source?.DeepClone().AsObject() ?? JsonSerializer.SerializeToNode(this, JsonOptions)!.AsObject();
        obj["torch_dtype"] = dtype.TorchName();
        if (obj.ContainsKey("dtype")) obj["dtype"] = dtype.TorchName();
        if (!obj.ContainsKey("architectures")) obj["architectures"] = new JsonArray(DefaultArchitecture);
        edit?.Invoke(obj);
        return obj.ToJsonString(JsonOptions);
    }

    /// <summary>The transformers class name prefix for this model_type (Llama, Mistral, Qwen2, Qwen3).</summary>
    [JsonIgnore]
    public string ClassPrefix => Type switch
    {
        "mistral" => "Mistral",
        "qwen2" => "Qwen2",
        "qwen3" => "Qwen3",
        _ => "Llama",
    };

    /// <summary>The transformers class for this model_type (LlamaForCausalLM, MistralForCausalLM, ...).</summary>
    [JsonIgnore]
    public string DefaultArchitecture => ClassPrefix + "ForCausalLM";
}

/// <summary>Reads an id that may be written as one number or as a list of numbers (eos_token_id); writes a list only
/// when there is more than one.</summary>
internal sealed class IdListConverter : JsonConverter<int[]?>
{
    public override int[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number:
                return [reader.GetInt32()];
            case JsonTokenType.StartArray:
                var ids = new List<int>();
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    if (reader.TokenType != JsonTokenType.Number) throw new JsonException("expected a token id (a whole number)");
                    ids.Add(reader.GetInt32());
                }
                return ids.ToArray();
            default:
                throw new JsonException("expected a token id or a list of token ids");
        }
    }

    public override void Write(Utf8JsonWriter writer, int[]? value, JsonSerializerOptions options)
    {
        if (value is null) writer.WriteNullValue();
        else if (value.Length == 1) writer.WriteNumberValue(value[0]);
        else
        {
            writer.WriteStartArray();
            foreach (int id in value) writer.WriteNumberValue(id);
            writer.WriteEndArray();
        }
    }
}
