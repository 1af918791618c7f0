using Alignment.Models.Checkpoints;
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
    /// <param name="generator">Draws lora_A (kaiming-uniform, a = √5; lora_B starts at zero) and PiSSA's randomized SVD.</param>
    /// <returns>The module paths that received an adapter.</returns>
    /// <remarks>Heads are frozen too: a reward model trained with LoRA needs <c>score.weight.requires_grad = true</c>
    /// afterwards (PEFT's modules_to_save does the same for SEQ_CLS).</remarks>
    public static IReadOnlyList<string> add_adapters(Module model, LoraConfig config, Generator generator)
    {
        var layers = LinearLayers(model).ToList();
        if (config.UseDora == true && layers.FirstOrDefault(l => l.layer.quantized is not null) is { name: not null } q4)
            throw new ModelException($"LoRA config: use_dora true (DoRA) needs the float base weight's column norms, but {q4.name} is held {q4.layer.quantized!.Kind}; " +
                                     "train DoRA on the float model or use plain LoRA with quantized weights (QLoRA)");
        config.Validate("LoRA config");
        var chosen = config.IsAllLinear ? layers : layers.Where(l => config.TargetModules.Contains(Leaf(l.name))).ToList();
        var found = layers.Select(l => Leaf(l.name)).ToHashSet();
        var unknown = config.IsAllLinear ? [] : config.TargetModules.Where(t => !found.Contains(t)).ToList();
        if (unknown.Count > 0)
            throw new ModelException($"LoRA target_modules [{string.Join(", ", unknown)}] match no layer; this model's linear layers are " +
                                     $"[{string.Join(", ", found.Order())}] (or use all-linear)");
        model.requires_grad_(false);
        // Every layer is checked before any is changed (PiSSA/OLoRA rewrite base weights): a rank above a layer's size
        // is an error naming the layer, not a half-adapted model.
        var tooSmall = chosen.Where(c => config.R > Math.Min(c.layer.in_features, c.layer.out_features)).ToList();
        if (tooSmall.Count > 0)
            throw new ModelException($"LoRA rank r = {config.R} is above the size of {tooSmall[0].name} ({tooSmall[0].layer.out_features} × " +
                                     $"{tooSmall[0].layer.in_features}){(tooSmall.Count > 1 ? $" and {tooSmall.Count - 1} more layers" : "")}; " +
                                     $"use r <= {chosen.Min(c => Math.Min(c.layer.in_features, c.layer.out_features))} or target larger layers");
        foreach (var (name, layer) in chosen)
        {
            var dtype = layer.base_dtype is ScalarType.BFloat16 or ScalarType.Float16 ? ScalarType.Float32 : layer.base_dtype;
            try
            {
                layer.add_lora(config.R, config.LoraAlpha, config.LoraDropout, config.UseRslora, dtype, generator, config.UseDora == true, config.Init);
            }
            catch (ModelException e)
            {
                throw new ModelException($"{name}: {e.Message}");
            }
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
                             a.layer.use_rslora != first.use_rslora || a.layer.lora_dropout != first.lora_dropout ||
                             a.layer.use_dora != first.use_dora || a.layer.lora_init != first.lora_init))
            throw new ModelException("the adapters differ in r, lora_alpha, lora_dropout, use_rslora, use_dora or init_lora_weights; PEFT's file format holds one setting");
        return new LoraConfig
        {
            R = first.lora_r, LoraAlpha = first.lora_alpha, LoraDropout = first.lora_dropout, UseRslora = first.use_rslora,
            UseDora = first.use_dora,
            TargetModules = adapted.Select(a => Leaf(a.name)).Distinct().Order(StringComparer.Ordinal).ToList(),
        }.WithInit(first.lora_init);
    }

    /// <summary>
    /// The adapters' tensors under PEFT's saved keys (<c>base_model.model.&lt;path&gt;.lora_A.weight</c>,
    /// <c>.lora_B.weight</c>, with DoRA <c>.lora_magnitude_vector</c>) and the adapter_config they go with.
    /// <para>With <paramref name="convertToLora"/>, PiSSA/OLoRA adapters are converted as PEFT's save_pretrained does
    /// with path_initial_model_for_weight_conversion (subtract_mutated_init): W + ΔW = W_res + scaling·B·A and
    /// W = W_res + scaling·B₀·A₀ give ΔW = scaling·[B | −B₀]·[A ; A₀], a plain LoRA of rank 2r on the original base,
    /// with A' = cat([A, A₀], dim 0), B' = cat([B, −B₀], dim 1), r' = 2r, init_lora_weights true and lora_alpha' = 2α
    /// (rsLoRA: √2·α), which keeps the scaling. Without it the adapter is written as trained, for the residual base
    /// (PEFT re-runs the same initialization on the original base when it loads such an adapter).</para>
    /// </summary>
    /// <returns>The tensors (the caller disposes <c>owned</c>, the converted copies) and the config.</returns>
    public static (Dictionary<string, Tensor> tensors, List<Tensor> owned, LoraConfig config) AdapterState(Module model, bool convertToLora)
    {
        var config = CurrentConfig(model);
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var owned = new List<Tensor>();
        bool convert = convertToLora && config.MutatesBase;
        foreach (var (name, layer) in AdaptedLayers(model))
        {
            if (convert && layer.lora_initial is { } init)
            {
                using var noGrad = no_grad();
                var a = cat([layer.lora_A, init.A], 0);
                using var negB = init.B.neg();
                var b = cat([layer.lora_B, negB], 1);
                owned.Add(a);
                owned.Add(b);
                tensors[$"{KeyPrefix}{name}.lora_A.weight"] = a;
                tensors[$"{KeyPrefix}{name}.lora_B.weight"] = b;
            }
            else
            {
                tensors[$"{KeyPrefix}{name}.lora_A.weight"] = layer.lora_A;
                tensors[$"{KeyPrefix}{name}.lora_B.weight"] = layer.lora_B;
            }
            if (layer.use_dora) tensors[$"{KeyPrefix}{name}.lora_magnitude_vector"] = layer.lora_magnitude_vector;
        }
        if (convert)
            config = (config with { R = config.R * 2, LoraAlpha = config.UseRslora ? config.LoraAlpha * Math.Sqrt(2) : config.LoraAlpha * 2 }).WithInit("true");
        return (tensors, owned, config);
    }

    /// <summary>Writes the adapters in PEFT's format into <paramref name="folder"/> (created; files replaced atomically):
    /// adapter_config.json and adapter_model.safetensors holding <c>base_model.model.&lt;path&gt;.lora_A.weight</c> (r, in),
    /// <c>lora_B.weight</c> (out, r) and with DoRA <c>lora_magnitude_vector</c> (out) of every adapted layer.</summary>
    /// <param name="model">The adapted language model.</param>
    /// <param name="folder">Adapter folder.</param>
    /// <param name="baseModelNameOrPath">base_model_name_or_path; default: the folder the model was loaded from.</param>
    /// <param name="convertToLora">PiSSA/OLoRA: write the plain rank-2r LoRA that applies to the original base (see
    /// <see cref="AdapterState"/>); false writes the adapter for the residual base.</param>
    public static void save_adapter(LlamaForCausalLM model, string folder, string? baseModelNameOrPath = null, bool convertToLora = true)
    {
        var (tensors, owned, config) = AdapterState(model, convertToLora);
        Directory.CreateDirectory(folder);
        try
        {
            Safetensors.Save(Path.Combine(folder, WeightsFile), tensors, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }
        string json = config.ToPeftJson(config.TargetModules, baseModelNameOrPath ?? model.name_or_path);
        AtomicText.Write(Path.Combine(folder, ConfigFile), json + "\n");
    }

    /// <summary>Reads a PEFT LoRA adapter folder into <paramref name="model"/>: adds adapters as adapter_config.json
    /// says and fills them from adapter_model.safetensors (converted to the adapters' dtype). An adapter saved with
    /// init_lora_weights pissa/olora (unconverted) first re-runs that initialization on the base, as PEFT does, so the
    /// base becomes the residual it was trained against (pissa_niter_K draws with a fixed seed, so it is reproducible
    /// here but not across implementations: save converted adapters for sharing). Every missing or unexpected
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
            if (layer.use_dora) layer.lora_magnitude_vector.requires_grad = is_trainable;
        }
        return config;
    }

    private static void Fill(Module model, IReadOnlyList<string> names, string weights, string configPath)
    {
        var layers = model.named_modules().ToDictionary(m => m.name, m => m.module);
        var expected = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (string name in names)
        {
            var layer = (LoraLinear)layers[name];
            expected[$"{KeyPrefix}{name}.lora_A.weight"] = layer.lora_A;
            expected[$"{KeyPrefix}{name}.lora_B.weight"] = layer.lora_B;
            if (layer.use_dora) expected[$"{KeyPrefix}{name}.lora_magnitude_vector"] = layer.lora_magnitude_vector;
        }
        AdapterWeights.Fill(expected, weights, configPath,
                            "the adapter was trained on a different base model (sizes, layers) or with other target_modules; " +
                            "load it onto the model named by base_model_name_or_path.");
    }

    private static string Leaf(string path) => path[(path.LastIndexOf('.') + 1)..];
}
