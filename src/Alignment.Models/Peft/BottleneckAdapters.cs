using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;

namespace Alignment.Models.Peft;

/// <summary>
/// Bottleneck adapters (Houlsby, Pfeiffer) on a <see cref="LlamaForCausalLM"/>: attach (base frozen), save and load
/// them in this project's layout (adapter_config.json + adapter_model.safetensors with the state_dict keys
/// <c>model.layers.N.attention_adapter.adapter_down.weight</c>, ... ; docs/bottleneck-adapters.md). They have no merged
/// form: the non-linearity between the two projections is not a change of any weight.
/// </summary>
public static class BottleneckAdapters
{
    public const string MergeRefusal = "bottleneck adapters cannot be merged into the model's weights: the non-linearity between their down and up " +
                                       "projections is no linear map, so no weight change computes the same; keep the adapter folder beside the base model";

    public static IEnumerable<(string name, nn.Parameter parameter)> Parameters(LlamaForCausalLM model) =>
        model.named_parameters().Where(p => p.name.Contains("_adapter.adapter_", StringComparison.Ordinal));

    public static bool Has(LlamaForCausalLM model) => model.model.layers.Any(l => l.attention_adapter is not null || l.output_adapter is not null);

    /// <summary>Adds adapters to every decoder layer and freezes every other parameter.</summary>
    public static void add_adapters(LlamaForCausalLM model, BottleneckConfig config, Generator generator)
    {
        config.Validate("bottleneck adapter config");
        if (Has(model)) throw new ModelException("the model already carries bottleneck adapters");
        int hidden = model.config.Hidden, width = Math.Max(1, hidden / config.ReductionFactor);
        var device = model.model.embed_tokens.weight.device;
        model.requires_grad_(false);
        foreach (var layer in model.model.layers)
            layer.attach_adapters(config.AfterAttention ? new BottleneckAdapter(hidden, width, config.Activation, generator, device) : null,
                                  new BottleneckAdapter(hidden, width, config.Activation, generator, device));
    }

    public static void remove_adapters(LlamaForCausalLM model)
    {
        foreach (var layer in model.model.layers) layer.attach_adapters(null, null);
    }

    public static BottleneckConfig CurrentConfig(LlamaForCausalLM model)
    {
        var first = model.model.layers.First().output_adapter ?? throw new ModelException("the model carries no bottleneck adapters");
        return new BottleneckConfig
        {
            Config = model.model.layers.First().attention_adapter is null ? "pfeiffer" : "houlsby",
            ReductionFactor = Math.Max(1, model.config.Hidden / (int)first.adapter_down.weight.size(0)),
            NonLinearity = first.non_linearity,
            HiddenSize = model.config.Hidden,
            NumLayers = model.config.Layers,
        };
    }

    public static void save_adapter(LlamaForCausalLM model, string folder, string? baseModelNameOrPath = null)
    {
        var config = CurrentConfig(model) with { BaseModelNameOrPath = baseModelNameOrPath ?? model.name_or_path };
        Directory.CreateDirectory(folder);
        Safetensors.Save(Path.Combine(folder, LoraModel.WeightsFile), Parameters(model).ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal),
                         new Dictionary<string, string> { ["format"] = "pt" });
        AtomicText.Write(Path.Combine(folder, LoraModel.ConfigFile), config.ToJson() + "\n");
    }

    public static BottleneckConfig load_adapter(LlamaForCausalLM model, string folder, bool is_trainable = false)
    {
        string configPath = Path.Combine(folder, LoraModel.ConfigFile), weights = Path.Combine(folder, LoraModel.WeightsFile);
        var config = BottleneckConfig.Load(configPath);
        config.Validate(configPath);
        if (config.HiddenSize is int h && h != model.config.Hidden)
            throw new ModelException($"{configPath}: hidden_size {h} differs from the base model's {model.config.Hidden}; load it onto the model named by base_model_name_or_path");
        if (!File.Exists(weights)) throw new ModelException($"{weights}: not found");
        using var init = new Generator(0);   // every drawn value is overwritten
        add_adapters(model, config, init);
        try
        {
            AdapterWeights.Fill(Parameters(model).ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal), weights, configPath,
                                "the adapters were trained on a different base model (layers, hidden size); load them onto the model named by base_model_name_or_path.");
        }
        catch
        {
            remove_adapters(model);
            throw;
        }
        foreach (var (_, p) in Parameters(model)) p.requires_grad = is_trainable;
        return config;
    }
}
