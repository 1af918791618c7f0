using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;

namespace Alignment.Models.Peft;

/// <summary>
/// Prefix tuning, prompt tuning and P-tuning on a <see cref="LlamaForCausalLM"/>, interchangeable with PEFT: attach an
/// adapter (the base frozen), save it as PEFT does (adapter_config.json + adapter_model.safetensors holding the one
/// tensor <c>prompt_embeddings</c>, the encoder's output for the virtual tokens: (P, num_layers·2·token_dim) for prefix
/// tuning, (P, hidden_size) otherwise), and load such a folder into its inference form (the saved rows as the table,
/// as PEFT's from_pretrained does with inference_mode). Nothing of these adapters can be merged into the weights.
/// </summary>
public static class PromptLearning
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";

    /// <summary>PEFT's key of the saved virtual-token rows.</summary>
    public const string PromptEmbeddingsKey = "prompt_embeddings";

    /// <summary>Attaches a new adapter and freezes every other parameter (as get_peft_model).</summary>
    /// <param name="model">The base model, without adapters.</param>
    /// <param name="config">Method and settings; layer counts and widths are filled in from the model.</param>
    /// <param name="generator">Draws the new parameters.</param>
    /// <param name="initTokenIds">Prompt tuning TEXT: the token ids of prompt_tuning_init_text as the tokenizer gives them
    /// (PEFT calls tokenizer(text)["input_ids"], special tokens included); cut or repeated to num_virtual_tokens.</param>
    /// <returns>The encoder.</returns>
    public static VirtualTokens add_adapter(LlamaForCausalLM model, PromptLearningConfig config, Generator generator, long[]? initTokenIds = null)
    {
        config.Validate(model.config, "prompt-learning config");
        if (model.model.prompt_encoder is not null) throw new ModelException("the model already carries a prompt-learning adapter");
        var full = config.For(model.config) with { BaseModelNameOrPath = config.BaseModelNameOrPath ?? model.name_or_path };
        Tensor? init = null;
        using var scope = NewDisposeScope();
        if (full.PeftType == PromptLearningConfig.PromptTuning && full.PromptTuningInit == "TEXT")
        {
            if (initTokenIds is null || initTokenIds.Length == 0)
                throw new ModelException("prompt_tuning_init TEXT: the init text gave no token ids");
            var ids = Enumerable.Range(0, full.NumVirtualTokens).Select(i => initTokenIds[i % initTokenIds.Length]).ToArray();
            using (no_grad())
                init = model.model.embed_tokens.forward(tensor(ids, new long[] { ids.Length }, model.model.embed_tokens.weight.device)).to(float32);
        }
        var encoder = VirtualTokens.Create(full, generator, model.model.embed_tokens.weight.device, init);
        model.requires_grad_(false);
        encoder.requires_grad_(true);
        model.model.attach_prompt_encoder(encoder);
        return encoder;
    }

    /// <summary>Removes the adapter (the base model is left as it was).</summary>
    public static void remove_adapter(LlamaForCausalLM model) => model.model.attach_prompt_encoder(null);

    /// <summary>Writes the adapter in PEFT's format into <paramref name="folder"/> (created; files replaced atomically).</summary>
    public static void save_adapter(LlamaForCausalLM model, string folder, string? baseModelNameOrPath = null)
    {
        var encoder = model.model.prompt_encoder ?? throw new ModelException("the model carries no prompt-learning adapter");
        Directory.CreateDirectory(folder);
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            var rows = encoder.encode().detach().to(float32).contiguous();
            Safetensors.Save(Path.Combine(folder, WeightsFile), new Dictionary<string, Tensor> { [PromptEmbeddingsKey] = rows },
                             new Dictionary<string, string> { ["format"] = "pt" });
        }
        AtomicText.Write(Path.Combine(folder, ConfigFile), encoder.config.ToPeftJson(baseModelNameOrPath ?? encoder.config.BaseModelNameOrPath ?? model.name_or_path) + "\n");
    }

    /// <summary>Reads a PEFT prompt-learning adapter folder into <paramref name="model"/> in its inference form.</summary>
    /// <param name="model">The base model (without a prompt-learning adapter).</param>
    /// <param name="folder">The adapter folder.</param>
    /// <param name="is_trainable">Leave the loaded rows trainable (continue training them directly).</param>
    public static PromptLearningConfig load_adapter(LlamaForCausalLM model, string folder, bool is_trainable = false)
    {
        string configPath = Path.Combine(folder, ConfigFile), weights = Path.Combine(folder, WeightsFile);
        var config = PromptLearningConfig.Load(configPath);
        config.Validate(model.config, configPath);
        if (model.model.prompt_encoder is not null) throw new ModelException("the model already carries a prompt-learning adapter; load into a fresh base model");
        if (!File.Exists(weights)) throw new ModelException($"{weights}: not found");
        var full = config.For(model.config);
        using var file = SafetensorsFile.Open(weights);
        var names = file.Names.ToList();
        if (names.Count != 1 || names[0] != PromptEmbeddingsKey)
            throw new ModelException($"{weights}: a prompt-learning adapter holds the one tensor '{PromptEmbeddingsKey}', found [{string.Join(", ", names)}]");
        long width = full.IsPrefix ? (long)full.NumLayers!.Value * 2 * full.TokenDim!.Value : full.TokenDim!.Value;
        var shape = file.Info(PromptEmbeddingsKey).Shape;
        if (!shape.SequenceEqual(new[] { (long)full.NumVirtualTokens, width }))
            throw new ModelException($"{weights}: '{PromptEmbeddingsKey}' is [{string.Join(", ", shape)}], but {configPath} and the base model " +
                                     $"({full.PeftType}, {full.NumVirtualTokens} virtual tokens) need [{full.NumVirtualTokens}, {width}]; " +
                                     "the adapter belongs to another base model");
        using var rows = file.Load(PromptEmbeddingsKey, float32, model.model.embed_tokens.weight.device);
        var encoder = VirtualTokens.FromSaved(full, rows);
        model.requires_grad_(false);
        encoder.requires_grad_(is_trainable);
        model.model.attach_prompt_encoder(encoder);
        return full;
    }
}
