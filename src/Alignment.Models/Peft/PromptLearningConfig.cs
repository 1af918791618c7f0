using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Alignment.Models.Llama;

namespace Alignment.Models.Peft;

/// <summary>
/// Settings of PEFT's prompt-learning methods, with PEFT's adapter_config.json keys (PromptLearningConfig and its
/// subclasses PrefixTuningConfig, PromptTuningConfig, PromptEncoderConfig):
/// <list type="bullet">
/// <item><c>PREFIX_TUNING</c>: learned keys and values for <c>num_virtual_tokens</c> positions in every layer, from a
/// table (num_virtual_tokens, num_layers·2·token_dim) or, with <c>prefix_projection</c>, from a table
/// (num_virtual_tokens, token_dim) through Linear(token_dim, encoder_hidden_size) → tanh → Linear(encoder_hidden_size,
/// num_layers·2·token_dim). For grouped-query models PEFT sets token_dim = hidden_size / num_attention_heads ·
/// num_key_value_heads and num_attention_heads = num_key_value_heads (so token_dim is the width of one layer's keys).</item>
/// <item><c>PROMPT_TUNING</c>: a table (num_virtual_tokens, token_dim) of input embeddings put before the tokens,
/// initialized N(0, 1) (RANDOM) or from the token embeddings of <c>prompt_tuning_init_text</c> (TEXT: its ids cut or
/// repeated to num_virtual_tokens).</item>
/// <item><c>P_TUNING</c>: the same input embeddings made by an encoder from a table (num_virtual_tokens, token_dim):
/// MLP = Linear(token_dim, h) → ReLU → Linear(h, h) → ReLU → Linear(h, token_dim); LSTM = a bidirectional
/// encoder_num_layers-layer LSTM of hidden size h (dropout encoder_dropout between layers), then Linear(2h, 2h) → ReLU →
/// Linear(2h, token_dim); h = encoder_hidden_size (default token_dim).</item>
/// </list>
/// encoder_hidden_size defaults to token_dim, as PEFT's _prepare_prompt_learning_config sets it.
/// </summary>
public sealed record PromptLearningConfig
{
    public const string PrefixTuning = "PREFIX_TUNING";
    public const string PromptTuning = "PROMPT_TUNING";
    public const string PTuning = "P_TUNING";

    [JsonPropertyName("peft_type")] public string PeftType { get; init; } = PromptTuning;
    [JsonPropertyName("task_type")] public string? TaskType { get; init; } = "CAUSAL_LM";
    [JsonPropertyName("num_virtual_tokens")] public int NumVirtualTokens { get; init; } = 20;
    [JsonPropertyName("token_dim")] public int? TokenDim { get; init; }
    [JsonPropertyName("num_layers")] public int? NumLayers { get; init; }
    [JsonPropertyName("num_attention_heads")] public int? NumAttentionHeads { get; init; }
    [JsonPropertyName("num_transformer_submodules")] public int? NumTransformerSubmodules { get; init; } = 1;
    [JsonPropertyName("base_model_name_or_path")] public string? BaseModelNameOrPath { get; init; }

    /// <summary>Prefix tuning and P-tuning: hidden width of the reparameterization (null = token_dim).</summary>
    [JsonPropertyName("encoder_hidden_size")] public int? EncoderHiddenSize { get; init; }

    /// <summary>Prefix tuning: compute the prefix through the two-layer tanh MLP.</summary>
    [JsonPropertyName("prefix_projection")] public bool PrefixProjection { get; init; }

    /// <summary>P-tuning: MLP or LSTM.</summary>
    [JsonPropertyName("encoder_reparameterization_type")] public string EncoderReparameterizationType { get; init; } = "MLP";

    /// <summary>P-tuning LSTM: number of LSTM layers (PEFT's default 2; the MLP always has its 3 linear layers).</summary>
    [JsonPropertyName("encoder_num_layers")] public int EncoderNumLayers { get; init; } = 2;

    /// <summary>P-tuning LSTM: dropout between LSTM layers while training.</summary>
    [JsonPropertyName("encoder_dropout")] public double EncoderDropout { get; init; }

    /// <summary>Prompt tuning: RANDOM or TEXT.</summary>
    [JsonPropertyName("prompt_tuning_init")] public string PromptTuningInit { get; init; } = "RANDOM";
    [JsonPropertyName("prompt_tuning_init_text")] public string? PromptTuningInitText { get; init; }
    [JsonPropertyName("tokenizer_name_or_path")] public string? TokenizerNameOrPath { get; init; }

    // Read so that a file using them is refused, never misread.
    [JsonPropertyName("init_weights")] public string? InitWeights { get; init; }
    [JsonPropertyName("modules_to_save")] public JsonElement? ModulesToSave { get; init; }

    [JsonIgnore] public bool IsPrefix => PeftType == PrefixTuning;

    /// <summary>The config PEFT would hold for <paramref name="model"/> after _prepare_prompt_learning_config: layers,
    /// token_dim and heads from config.json (grouped-query adjusted for prefix tuning), encoder_hidden_size defaulted.</summary>
    public PromptLearningConfig For(LlamaConfig model)
    {
        int tokenDim = IsPrefix ? model.KeyValueHeads * model.HeadDim : (int)model.Hidden;
        return this with
        {
            NumLayers = model.Layers,
            TokenDim = tokenDim,
            NumAttentionHeads = IsPrefix ? model.KeyValueHeads : model.Heads,
            NumTransformerSubmodules = 1,
            EncoderHiddenSize = EncoderHiddenSize ?? tokenDim,
        };
    }

    /// <summary>Throws when these settings ask for something this implementation does not compute, or disagree with
    /// the model, naming each.</summary>
    public void Validate(LlamaConfig model, string where = "adapter_config.json")
    {
        var errors = new List<string>();
        if (PeftType is not (PrefixTuning or PromptTuning or PTuning))
            errors.Add($"peft_type '{PeftType}' is not PREFIX_TUNING, PROMPT_TUNING or P_TUNING");
        if (TaskType is not null && TaskType != "CAUSAL_LM") errors.Add($"task_type '{TaskType}' is not supported (CAUSAL_LM only)");
        if (NumVirtualTokens < 1) errors.Add($"num_virtual_tokens must be at least 1, got {NumVirtualTokens}");
        if (NumTransformerSubmodules is not (null or 1)) errors.Add($"num_transformer_submodules {NumTransformerSubmodules} is for encoder-decoder models; decoder-only models use 1");
        var expected = For(model);
        if (NumLayers is int l && l != expected.NumLayers) errors.Add($"num_layers {l} differs from the model's {expected.NumLayers}");
        if (TokenDim is int d && d != expected.TokenDim) errors.Add($"token_dim {d} differs from the model's {expected.TokenDim}");
        if (NumAttentionHeads is int h && h != expected.NumAttentionHeads) errors.Add($"num_attention_heads {h} differs from the model's {expected.NumAttentionHeads}");
        if (EncoderHiddenSize is < 1) errors.Add($"encoder_hidden_size must be at least 1, got {EncoderHiddenSize}");
        if (PeftType == PTuning && EncoderReparameterizationType is not ("MLP" or "LSTM"))
            errors.Add($"encoder_reparameterization_type '{EncoderReparameterizationType}' is not MLP or LSTM");
        if (PeftType == PTuning && EncoderNumLayers < 1) errors.Add($"encoder_num_layers must be at least 1, got {EncoderNumLayers}");
        if (!(EncoderDropout >= 0 && EncoderDropout < 1)) errors.Add($"encoder_dropout must be in [0, 1), got {EncoderDropout}");
        if (PeftType == PromptTuning && PromptTuningInit is not ("RANDOM" or "TEXT"))
            errors.Add($"prompt_tuning_init '{PromptTuningInit}' is not supported (RANDOM or TEXT)");
        if (PeftType == PromptTuning && PromptTuningInit == "TEXT" && string.IsNullOrEmpty(PromptTuningInitText))
            errors.Add("prompt_tuning_init TEXT needs prompt_tuning_init_text");
        if (InitWeights is not null) errors.Add($"init_weights '{InitWeights}' is not supported (random initialization only)");
        if (AdapterJson.IsSet(ModulesToSave)) errors.Add("modules_to_save is not supported");
        if (errors.Count > 0) throw new ModelException($"{where}: {string.Join("; ", errors)}");
    }

    /// <summary>Reads adapter_config.json.</summary>
    public static PromptLearningConfig Load(string path) => AdapterJson.Load<PromptLearningConfig>(path);

    /// <summary>adapter_config.json as PEFT writes it for this method (the fields of PromptLearningConfig and the
    /// method's own), with inference_mode true as save_pretrained sets it.</summary>
    public string ToPeftJson(string? baseModel)
    {
        var obj = new JsonObject
        {
            ["auto_mapping"] = null,
            ["base_model_name_or_path"] = baseModel ?? BaseModelNameOrPath,
            ["inference_mode"] = true,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_layers"] = NumLayers,
            ["num_transformer_submodules"] = 1,
            ["num_virtual_tokens"] = NumVirtualTokens,
            ["peft_type"] = PeftType,
            ["revision"] = null,
            ["task_type"] = "CAUSAL_LM",
            ["token_dim"] = TokenDim,
        };
        switch (PeftType)
        {
            case PrefixTuning:
                obj["encoder_hidden_size"] = EncoderHiddenSize;
                obj["prefix_projection"] = PrefixProjection;
                break;
            case PTuning:
                obj["encoder_dropout"] = EncoderDropout;
                obj["encoder_hidden_size"] = EncoderHiddenSize;
                obj["encoder_num_layers"] = EncoderNumLayers;
                obj["encoder_reparameterization_type"] = EncoderReparameterizationType;
                break;
            default:
                obj["prompt_tuning_init"] = PromptTuningInit;
                obj["prompt_tuning_init_text"] = PromptTuningInitText;
                obj["tokenizer_kwargs"] = null;
                obj["tokenizer_name_or_path"] = TokenizerNameOrPath;
                break;
        }
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }
}
