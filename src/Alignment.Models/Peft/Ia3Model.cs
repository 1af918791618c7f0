using Alignment.Models.Checkpoints;
using Alignment.Models.Core;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Peft;

/// <summary>
/// IA3 (PEFT's IA3: learned rescaling of the keys, values and the feed-forward activation) on a model's
/// <see cref="LoraLinear"/> layers: add vectors (base frozen), save and load them in PEFT's format
/// (adapter_config.json + adapter_model.safetensors with keys <c>base_model.model.&lt;path&gt;.ia3_l</c>, e.g.
/// <c>base_model.model.model.layers.0.self_attn.k_proj.ia3_l</c>), and merge them into the weights.
/// </summary>
public static class Ia3Model
{
    private const string KeyPrefix = "base_model.model.";

    /// <summary>The layers that carry an IA3 vector, by module path.</summary>
    public static IEnumerable<(string name, LoraLinear layer)> AdaptedLayers(Module model) =>
        model.named_modules().Where(m => m.module is LoraLinear { has_ia3: true }).Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>Adds a vector of ones to every targeted layer of the decoder layers and freezes every other parameter.</summary>
    /// <returns>The module paths that received a vector.</returns>
    public static IReadOnlyList<string> add_adapters(Module model, Ia3Config config)
    {
        config.Validate("IA3 config");
        var layers = LoraModel.LinearLayers(model).ToList();
        var found = layers.Select(l => Leaf(l.name)).ToHashSet();
        var unknown = config.TargetModules.Where(t => !found.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new ModelException($"IA3 target_modules [{string.Join(", ", unknown)}] match no layer; this model's linear layers are [{string.Join(", ", found.Order())}]");
        model.requires_grad_(false);
        var chosen = layers.Where(l => config.TargetModules.Contains(Leaf(l.name))).ToList();
        foreach (var (path, layer) in chosen) layer.add_ia3(config.FeedforwardModules.Contains(Leaf(path)));
        return chosen.Select(c => c.name).ToList();
    }

    /// <summary>The settings of the vectors the model carries.</summary>
    public static Ia3Config CurrentConfig(Module model)
    {
        var adapted = AdaptedLayers(model).ToList();
        if (adapted.Count == 0) throw new ModelException("the model carries no IA3 vector");
        return new Ia3Config
        {
            TargetModules = adapted.Select(a => Leaf(a.name)).Distinct().Order(StringComparer.Ordinal).ToList(),
            FeedforwardModules = adapted.Where(a => a.layer.ia3_is_feedforward).Select(a => Leaf(a.name)).Distinct().Order(StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>Folds every vector into its layer's weights and removes it: the model then computes what the adapted
    /// model computed, with plain weights.</summary>
    public static void merge_and_unload(Module model)
    {
        foreach (var (_, layer) in AdaptedLayers(model).ToList()) layer.merge_ia3();
    }

    /// <summary>The tensors PEFT saves, by key.</summary>
    public static Dictionary<string, Tensor> AdapterTensors(Module model) =>
        AdaptedLayers(model).ToDictionary(a => $"{KeyPrefix}{a.name}.ia3_l", a => (Tensor)a.layer.ia3_l!, StringComparer.Ordinal);

    /// <summary>Writes the vectors in PEFT's format into <paramref name="folder"/> (created; files replaced atomically).</summary>
    public static void save_adapter(LlamaForCausalLM model, string folder, string? baseModelNameOrPath = null)
    {
        var config = CurrentConfig(model);
        Directory.CreateDirectory(folder);
        Safetensors.Save(Path.Combine(folder, LoraModel.WeightsFile), AdapterTensors(model), new Dictionary<string, string> { ["format"] = "pt" });
        AtomicText.Write(Path.Combine(folder, LoraModel.ConfigFile), config.ToPeftJson(baseModelNameOrPath ?? model.name_or_path) + "\n");
    }

    /// <summary>Reads a PEFT IA3 adapter folder into <paramref name="model"/>; every missing or unexpected key and every
    /// shape mismatch is reported at once.</summary>
    public static Ia3Config load_adapter(LlamaForCausalLM model, string folder, bool is_trainable = false)
    {
        string configPath = Path.Combine(folder, LoraModel.ConfigFile), weights = Path.Combine(folder, LoraModel.WeightsFile);
        var config = Ia3Config.Load(configPath);
        config.Validate(configPath);
        if (!File.Exists(weights)) throw new ModelException($"{weights}: not found");
        if (AdaptedLayers(model).Any()) throw new ModelException("the model already carries IA3 vectors; load into a fresh base model");
        add_adapters(model, config);
        try
        {
            AdapterWeights.Fill(AdapterTensors(model), weights, configPath,
                                "the adapter was trained on a different base model or with other target_modules; load it onto the model named by base_model_name_or_path.");
        }
        catch
        {
            foreach (var (_, layer) in AdaptedLayers(model).ToList()) layer.remove_ia3();
            throw;
        }
        foreach (var (_, layer) in AdaptedLayers(model)) layer.ia3_l!.requires_grad = is_trainable;
        return config;
    }

    private static string Leaf(string path) => path[(path.LastIndexOf('.') + 1)..];
}
