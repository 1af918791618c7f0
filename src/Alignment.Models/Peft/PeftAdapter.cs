using System.Text.Json;
using Alignment.Models.Llama;
using Alignment.Models.Lora;

namespace Alignment.Models.Peft;

/// <summary>Any adapter folder this project reads (PEFT's LORA, IA3, PREFIX_TUNING, PROMPT_TUNING, P_TUNING, and this
/// project's BOTTLENECK), chosen by the peft_type of its adapter_config.json.</summary>
public static class PeftAdapter
{
    /// <summary>The folder's peft_type.</summary>
    public static string PeftTypeOf(string folder)
    {
        string path = Path.Combine(folder, LoraModel.ConfigFile);
        if (!File.Exists(path)) throw new ModelException($"{path}: not found; a PEFT adapter folder holds adapter_config.json and adapter_model.safetensors");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("peft_type", out var t) && t.ValueKind == JsonValueKind.String
                ? t.GetString()!
                : throw new ModelException($"{path}: no peft_type");
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: {e.Message}");
        }
    }

    /// <summary>Loads the adapter in <paramref name="folder"/> into <paramref name="model"/>; returns its peft_type.</summary>
    public static string load_adapter(LlamaForCausalLM model, string folder, bool is_trainable = false)
    {
        string type = PeftTypeOf(folder);
        switch (type)
        {
            case "LORA": LoraModel.load_adapter(model, folder, is_trainable); break;
            case "IA3": Ia3Model.load_adapter(model, folder, is_trainable); break;
            case PromptLearningConfig.PrefixTuning or PromptLearningConfig.PromptTuning or PromptLearningConfig.PTuning:
                PromptLearning.load_adapter(model, folder, is_trainable);
                break;
            case "BOTTLENECK": BottleneckAdapters.load_adapter(model, folder, is_trainable); break;
            default:
                throw new ModelException($"{Path.Combine(folder, LoraModel.ConfigFile)}: peft_type '{type}' is not supported (LORA, IA3, PREFIX_TUNING, PROMPT_TUNING, P_TUNING, BOTTLENECK)");
        }
        return type;
    }

    /// <summary>Folds LoRA and IA3 adapters into the weights. Prompt-learning adapters (their virtual tokens are extra
    /// inputs) and bottleneck adapters (a non-linear function) have no merged form: refused.</summary>
    public static void merge_and_unload(LlamaForCausalLM model)
    {
        if (model.model.prompt_encoder is { } pe)
            throw new ModelException($"a {pe.config.PeftType} adapter cannot be merged into the model's weights: its virtual tokens are extra inputs, " +
                                     "not a change of weights. Use the base model with the adapter folder instead (generation and evaluation load both)");
        if (BottleneckAdapters.Has(model)) throw new ModelException(BottleneckAdapters.MergeRefusal);
        LoraModel.merge_and_unload(model);
        Ia3Model.merge_and_unload(model);
    }
}
