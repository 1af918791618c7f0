using System.Text;
using Alignment.Models.Core;
using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Lora;

/// <summary>
/// LoRA on a model's <see cref="LoraLinear"/> layers, interchangeable with PEFT: add adapters (base frozen), save and
/// load them as adapter_config.json + adapter_model.safetensors with PEFT's key names
/// (<c>base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight</c>: "base_model.model." + the module path, no
/// adapter name), and merge them into the base weights for export.
/// </summary>
public static class LoraModel
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    private const string KeyPrefix = "base_model.model.";

    /// <summary>The adaptable layers: every LoraLinear inside a decoder layer (<c>.layers.N.</c>), never lm_head or a head.</summary>
    public static IEnumerable<(string name, LoraLinear layer)> LinearLayers(Module model) =>
        model.named_modules().Where(m => m.module is LoraLinear && m.name.Contains(".layers.", StringComparison.Ordinal))
             .Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>The layers that carry an adapter, by module path.</summary>
    public static IEnumerable<(string name, LoraLinear layer)> AdaptedLayers(Module model) =>
        model.named_modules().Where(m => m.module is LoraLinear { has_lora: true }).Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>Adds an adapter to every targeted layer and freezes every other parameter (as get_peft_model). Adapters
    /// are float32 when the model is bf16/f16 (PEFT's autocast_adapter_dtype), the model's dtype otherwise.</summary>
    /// <param name="model">A model built from <see cref="LoraLinear"/> layers (LlamaForCausalLM, a classifier ...).</param>
    /// <param name="config">Rank, alpha, dropout, rsLoRA, targets (leaf names or all-linear).</param>
    /// <param name="generator">Draws lora_A (kaiming-uniform, a = √5); lora_B starts at zero.</param>
    /// <returns>The module paths that received an adapter.</returns>
    /// <remarks>Heads are frozen too: a reward model trained with LoRA needs <c>score.weight.requires_grad = true</c>
    /// afterwards (PEFT's modules_to_save does the same for SEQ_CLS).</remarks>
    public static IReadOnlyList<string> add_adapters(Module model, LoraConfig config, Generator generator)
    {
        var layers = LinearLayers(model).ToList();
        if (config.UseDora == true && layers.FirstOrDefault(l => l.layer.quantized is not null) is { name: not null } q4)
            throw new ModelException($"LoRA config: use_dora true (DoRA) needs the float base weight's column norms, but {q4.name} is held 4-bit; " +
                                     "train DoRA on the float model or use plain LoRA with 4-bit weights (QLoRA)");
        config.Validate("LoRA config");
        var chosen = config.IsAllLinear ? layers : layers.Where(l => config.TargetModules.Contains(Leaf(l.name))).ToList();
        var found = layers.Select(l => Leaf(l.name)).ToHashSet();
        var unknown = config.IsAllLinear ? [] : config.TargetModules.Where(t => !found.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new ModelException($"LoRA target_modules [{string.Join(", ", unknown)}] match no layer; this model's linear layers are " +
                                     $"[{string.Join(", ", found.Order())}] (or use all-linear)");
        model.requires_grad_(false);
        foreach (var (_, layer) in chosen)
        {
            var dtype = layer.base_dtype is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : layer.base_dtype;
            layer.add_lora(config.R, config.LoraAlpha, config.LoraDropout, config.UseRslora, dtype, generator);
        }
        return chosen.Select(c => c.name).ToList();
    }

    /// <summary>Folds every adapter into its base weight (<c>W += scaling · B·A</c>) and removes it (PEFT's
    /// merge_and_unload): the model then computes what the adapted model computed, with plain weights.</summary>
    public static void merge_and_unload(Module model)
    {
        foreach (var (_, layer) in AdaptedLayers(model).ToList()) layer.merge_lora();
    }

    /// <summary>
    /// Switches every adapter of <paramref name="model"/> off until the result is disposed (PEFT's
    /// <c>with model.disable_adapter():</c>): the model computes its base weights alone, which makes a LoRA policy its
    /// own frozen reference without a second copy in memory.
    /// </summary>
    public static IDisposable disable_adapters(Module model)
    {
        var layers = AdaptedLayers(model).Where(l => l.layer.lora_enabled).Select(l => l.layer).ToList();
        foreach (var layer in layers) layer.lora_enabled = false;
        return new AdaptersOff(layers);
    }

    private sealed class AdaptersOff(List<LoraLinear> layers) : IDisposable
    {
        public void Dispose()
        {
            foreach (var layer in layers) layer.lora_enabled = true;
            layers.Clear();
        }
    }

    /// <summary>The adapters' settings, which must be the same for every adapted layer.</summary>
    public static LoraConfig CurrentConfig(Module model)
    {
        var adapted = AdaptedLayers(model).ToList();
        if (adapted.Count == 0) throw new ModelException("the model carries no LoRA adapter");
        var first = adapted[0].layer;
        if (adapted.Any(a => a.layer.lora_r != first.lora_r || a.layer.lora_alpha != first.lora_alpha ||
                             a.layer.use_rslora != first.use_rslora || a.layer.lora_dropout != first.lora_dropout))
            throw new ModelException("the adapters differ in r, lora_alpha, lora_dropout or use_rslora; PEFT's file format holds one setting");
        return new LoraConfig
        {
            R = first.lora_r, LoraAlpha = first.lora_alpha, LoraDropout = first.lora_dropout, UseRslora = first.use_rslora,
            TargetModules = adapted.Select(a => Leaf(a.name)).Distinct().Order(StringComparer.Ordinal).ToList(),
        };
    }

    /// <summary>Writes the adapters in PEFT's format into <paramref name="folder"/> (created; files replaced atomically):
    /// adapter_config.json and adapter_model.safetensors holding <c>base_model.model.&lt;path&gt;.lora_A.weight</c> (r, in)
    /// and <c>lora_B.weight</c> (out, r) of every adapted layer.</summary>
    /// <param name="model">The adapted language model.</param>
    /// <param name="folder">Adapter folder.</param>
    /// <param name="baseModelNameOrPath">base_model_name_or_path; default: the folder the model was loaded from.</param>
    public static void save_adapter(LlamaForCausalLM model, string folder, string? baseModelNameOrPath = null)
    {
        var config = CurrentConfig(model);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, layer) in AdaptedLayers(model))
        {
            tensors[$"{KeyPrefix}{name}.lora_A.weight"] = layer.lora_A;
            tensors[$"{KeyPrefix}{name}.lora_B.weight"] = layer.lora_B;
        }
        Directory.CreateDirectory(folder);
        Safetensors.Save(Path.Combine(folder, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        string json = config.ToPeftJson(config.TargetModules, baseModelNameOrPath ?? model.name_or_path);
        string path = Path.Combine(folder, ConfigFile), tmp = path + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, json + "\n");
        File.Move(tmp, path, overwrite: true);
    }

    /// <summary>Reads a PEFT LoRA adapter folder into <paramref name="model"/>: adds adapters as adapter_config.json
    /// says and fills them from adapter_model.safetensors (converted to the adapters' dtype). Every missing or unexpected
    /// key and every shape mismatch is reported at once.</summary>
    /// <param name="model">The base model (without adapters).</param>
    /// <param name="folder">The adapter folder.</param>
    /// <param name="is_trainable">Leave the adapter trainable (continue training); false freezes it (inference).</param>
    public static LoraConfig load_adapter(LlamaForCausalLM model, string folder, bool is_trainable = false)
    {
        string configPath = Path.Combine(folder, ConfigFile);
        var config = LoraConfig.Load(configPath);
        config.Validate(configPath);
        string weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weights))
            throw new ModelException(File.Exists(Path.Combine(folder, "adapter_model.bin"))
                ? $"{folder}: only adapter_model.bin (pickle) is present; re-save the adapter with PEFT's safe_serialization=True"
                : $"{weights}: not found");
        if (AdaptedLayers(model).Any()) throw new ModelException("the model already carries LoRA adapters; load adapters into a fresh base model");

        using var init = new Generator(0);  // the file overwrites every drawn value
        var names = add_adapters(model, config, init);
        try
        {
            Fill(model, names, weights, configPath);
        }
        catch
        {
            foreach (var (_, layer) in AdaptedLayers(model).ToList()) layer.remove_lora();
            throw;
        }
        foreach (var (_, layer) in AdaptedLayers(model))
        {
            layer.lora_A.requires_grad = is_trainable;
            layer.lora_B.requires_grad = is_trainable;
        }
        return config;
    }

    private static void Fill(Module model, IReadOnlyList<string> names, string weights, string configPath)
    {
        using var file = SafetensorsFile.Open(weights);
        var layers = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var expected = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            var layer = (LoraLinear)layers[name];
            expected[$"{KeyPrefix}{name}.lora_A.weight"] = layer.lora_A;
            expected[$"{KeyPrefix}{name}.lora_B.weight"] = layer.lora_B;
        }
        var present = file.Names.ToHashSet(StringComparer.Ordinal);
        var missing = expected.Keys.Where(k => !present.Contains(k)).ToList();
        var unexpected = file.Names.Where(k => !expected.ContainsKey(k)).ToList();
        var mismatches = expected.Where(kv => present.Contains(kv.Key) && !file.Info(kv.Key).Shape.SequenceEqual(kv.Value.shape))
                                 .Select(kv => $"{kv.Key}: file [{string.Join(", ", file.Info(kv.Key).Shape)}], model [{string.Join(", ", kv.Value.shape)}]")
                                 .ToList();
        if (missing.Count + unexpected.Count + mismatches.Count > 0)
        {
            var sb = new StringBuilder($"{weights}: does not match {configPath} and the base model:");
            if (missing.Count > 0) sb.Append($"\n  Missing ({missing.Count}): ").Append(string.Join(", ", missing.Take(20)));
            if (unexpected.Count > 0) sb.Append($"\n  Unexpected ({unexpected.Count}): ").Append(string.Join(", ", unexpected.Take(20)));
            if (mismatches.Count > 0) sb.Append($"\n  Shape mismatches ({mismatches.Count}): ").Append(string.Join("; ", mismatches.Take(20)));
            sb.Append("\n  Hint: the adapter was trained on a different base model (sizes, layers) or with other target_modules; " +
                      "load it onto the model named by base_model_name_or_path.");
            throw new ModelException(sb.ToString());
        }
        using (no_grad())
            foreach (var (key, target) in expected)
            {
                using var t = file.Load(key, target.dtype, target.device);
                target.copy_(t);
            }
    }

    private static string Leaf(string path) => path[(path.LastIndexOf('.') + 1)..];
}
