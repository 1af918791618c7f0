using Alignment.Models.Checkpoints;
using Alignment.Models.Core;
using Alignment.Models.Quantization;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Llama;

/// <summary>What the causal LM returns; the tensors belong to the caller's dispose scope.</summary>
/// <param name="logits">(B, T, vocab) next-token logits in the model's dtype (the last logits_to_keep positions only
/// when that was given).</param>
/// <param name="last_hidden_state">(B, T, hidden) after the final norm, when hidden states were asked for.</param>
/// <param name="hidden_states">The L + 1 hidden states as transformers returns them, when asked for.</param>
public sealed record CausalLMOutput(Tensor logits, Tensor? last_hidden_state, IReadOnlyList<Tensor>? hidden_states);

/// <summary>
/// A decoder-only language model for config.json model_type llama, mistral, qwen2 or qwen3 (transformers'
/// LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM): <c>model</c> (<see cref="LlamaModel"/>)
/// and <c>lm_head</c>, tied to the token embedding when tie_word_embeddings. Parameter names are the checkpoints'
/// (<c>model.layers.0.self_attn.q_proj.weight</c>, <c>lm_head.weight</c>), so state_dict keys match Hugging Face's.
/// <para>Make one with <see cref="from_pretrained"/> (a Hugging Face folder) or <see cref="from_config"/> (random
/// weights); write it with <see cref="save_pretrained"/>.</para>
/// </summary>
public sealed class LlamaForCausalLM : PreTrainedModel
{
    private LlamaForCausalLM(LlamaConfig config, ScalarType dtype, Device? device, IReadOnlyList<string> warnings)
        : base(config, dtype, warnings)
    {
        var decoder = new LlamaModel(config, dtype, device);
        register_module("model", decoder);
        register_module("lm_head", config.Tied
            ? new LoraLinear(decoder.embed_tokens.weight)
            : new LoraLinear(config.Hidden, config.Vocab, bias: false, dtype, device));
    }

    /// <summary>The 4-bit or 8-bit settings of the decoder layers' projections, or null when every weight is float.</summary>
    public QuantizationOptions? quantization { get; private set; }

    public LoraLinear lm_head => (LoraLinear)get_submodule("lm_head");

    /// <summary>A model with random weights drawn as transformers' _init_weights does (see <see cref="ModelInit"/>).</summary>
    /// <param name="config">The configuration (validated here).</param>
    /// <param name="generator">Seeded generator for the weights.</param>
    /// <param name="dtype">Compute dtype (float32 default; bfloat16 and float16 supported).</param>
    /// <param name="device">Device (CPU default).</param>
    /// <param name="quantization">Hold the decoder layers' projections 4-bit or int8: each is quantized from its freshly drawn
    /// values (the same draws as the float model's, cast to the model's dtype), so the layers' float weights are never
    /// written and never become resident.</param>
    public static LlamaForCausalLM from_config(LlamaConfig config, Generator generator, ScalarType dtype = ScalarType.Float32, Device? device = null,
                                               QuantizationOptions? quantization = null)
    {
        var warnings = Check(config, "config", dtype, device);
        quantization?.Validate("quantization");
        using var mapped = quantization is null ? null : map_large_blocks();
        var m = new LlamaForCausalLM(config, dtype, device, warnings);
        try
        {
            var targets = m.QuantizableLayers().Select(l => l.layer).ToHashSet(ReferenceEqualityComparer.Instance);
            ModelInit.InitWeights(m, config.InitStd, generator, quantization is null ? null : (lin, drawn) =>
            {
                if (!targets.Contains(lin)) return false;
                lin.quantize_(quantization, drawn.to(lin.base_dtype));   // quantized from the weight in the model's dtype
                trim_heap();   // the earlier weights' freed float draws: their pages go back now, so they never add up
                return true;
            });
            if (quantization is not null) trim_heap();
            m.quantization = quantization;
            return m;
        }
        catch
        {
            m.Dispose();
            throw;
        }
    }

    /// <summary>Loads a Hugging Face folder: config.json and model.safetensors or sharded safetensors (f32, f16 or bf16
    /// on disk), converted to <paramref name="dtype"/> tensor by tensor while reading. Nothing is initialized twice:
    /// parameters start uninitialized and are filled from the files.</summary>
    /// <exception cref="ModelException">Unsupported configuration, missing/unexpected tensors, shapes that disagree with
    /// config.json: every problem at once, naming the file and tensor, with a hint.</exception>
    /// <param name="quantization">Quantize the decoder layers' projections to 4 bits while loading, one weight at a
    /// time (a float checkpoint); a bitsandbytes 4-bit or 8-bit checkpoint (quantization_config in config.json) loads so
    /// without it, and a different setting than the checkpoint's is an error.</param>
    public static LlamaForCausalLM from_pretrained(string folder, ScalarType dtype = ScalarType.Float32, Device? device = null,
                                                   QuantizationOptions? quantization = null)
    {
        var config = LlamaConfig.Load(folder);
        string configPath = Path.Combine(folder, "config.json");
        var warnings = Check(config, configPath, dtype, device);
        var stored = config.Quantization;
        if (stored is not null && quantization is not null && stored != quantization)
            throw new ModelException($"{configPath}: the checkpoint is already bitsandbytes {stored.Bits}-bit ({Describe(stored)}); the quantization " +
                                     $"asked for ({Describe(quantization)}) differs: leave it out or ask for the checkpoint's");
        quantization?.Validate("quantization");
        return Filled(new LlamaForCausalLM(config, dtype, device, warnings), m =>
        {
            var consumed = new HashSet<string>(StringComparer.Ordinal);
            if ((stored ?? quantization) is { } q) m.LoadQuantized(folder, q, prequantized: stored is not null, dtype, consumed);
            CheckpointLoader.Load(m, folder, Describe(config), m.TiedKeys(),
                                  mayBeIgnored: k => k.StartsWith("v_head.", StringComparison.Ordinal) || consumed.Contains(k));
            m.quantization = stored ?? quantization;
            m.name_or_path = Path.GetFullPath(folder);
        });
    }

    /// <summary>Writes a Hugging Face folder (see <see cref="PretrainedFolder.Save"/>) in the model's dtype: the
    /// checkpoint's tensor names (a tied lm_head.weight is not stored, as transformers does), config.json with the
    /// source's keys and torch_dtype updated, generation_config.json, tokenizer files from <see cref="name_or_path"/>.</summary>
    /// <exception cref="ModelException">The model carries unmerged LoRA adapters: merge them (Lora.merge_and_unload) or
    /// save the adapter in PEFT format instead.</exception>
    public void save_pretrained(string folder, long maxShardBytes = 5L << 30, bool overwrite = false)
    {
        var state = state_dict();
        var ia3 = state.Keys.Where(k => k.EndsWith(".ia3_l", StringComparison.Ordinal)).ToList();
        if (ia3.Count > 0)
            throw new ModelException($"the model carries {ia3.Count} unmerged IA3 vector(s) (e.g. {ia3[0]}): merge them into the base " +
                                     "weights first (Ia3Model.merge_and_unload) or save the adapter alone (Ia3Model.save_adapter)");
        if (Peft.BottleneckAdapters.Has(this)) throw new ModelException(Peft.BottleneckAdapters.MergeRefusal + " (BottleneckAdapters.save_adapter)");
        if (model.prompt_encoder is { } pe)
            throw new ModelException($"the model carries a {pe.config.PeftType} adapter, which cannot be merged into the weights (its virtual tokens " +
                                     "are extra inputs, not a change of weights): save the adapter alone (PromptLearning.save_adapter) and load it onto the base model");
        var tied = TiedKeys();
        var tensors = state.Where(kv => !tied.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        foreach (var (name, layer) in QuantizableLayers())
            if (layer.quantized is { } q)
                foreach (var kv in q.StateDict(name + ".")) tensors[kv.Key] = kv.Value;
        SaveFolder(folder, config.ToJson(dtype, quantization is null ? null : obj => obj.TryAdd("quantization_config", quantization.ToHfConfig(dtype))),
                   tensors, maxShardBytes, overwrite);
    }

    /// <summary>Runs the model.</summary>
    /// <param name="input_ids">(B, T) int64 token ids.</param>
    /// <param name="attention_mask">(B, cached + T): 1 = token, 0 = padding (left or right); null = no padding.</param>
    /// <param name="past_key_values">KV cache to read and extend, or null.</param>
    /// <param name="position_ids">(B, T) explicit positions, or null to derive them from the mask.</param>
    /// <param name="output_hidden_states">Also return the hidden states (the final one feeds score and value heads).</param>
    /// <param name="logits_to_keep">When positive, compute logits for the last this-many positions only (generation).</param>
    public CausalLMOutput forward(Tensor input_ids, Tensor? attention_mask = null, KvCache? past_key_values = null,
                                  Tensor? position_ids = null, bool output_hidden_states = false, int logits_to_keep = 0)
    {
        using var scope = NewDisposeScope();
        var o = model.forward(input_ids, attention_mask, position_ids, past_key_values, output_hidden_states);
        var h = o.last_hidden_state;
        if (logits_to_keep > 0 && logits_to_keep < h.size(1)) h = h.narrow(1, h.size(1) - logits_to_keep, logits_to_keep);
        var logits = lm_head.forward(h);  // (B, T, vocab)
        logits.MoveToOuterScope();
        if (!output_hidden_states) return new CausalLMOutput(logits, null, null);
        foreach (var t in o.hidden_states!) t.MoveToOuterScope();
        return new CausalLMOutput(logits, o.last_hidden_state.MoveToOuterScope(), o.hidden_states);
    }

    /// <summary>A KV cache sized for this model (see <see cref="KvCache"/>); <paramref name="capacity"/> counts token
    /// positions, and a prompt-learning adapter's virtual positions are added to it.</summary>
    public KvCache new_cache(int? capacity = null) => new(config.Layers, capacity + (model.prompt_encoder?.num_virtual_tokens ?? 0));

    internal HashSet<string> TiedKeys() => config.Tied ? ["lm_head.weight"] : [];

    /// <summary>The linear layers that quantization covers: every projection of the decoder layers (not lm_head,
    /// which transformers leaves unquantized too).</summary>
    public IEnumerable<(string name, LoraLinear layer)> QuantizableLayers() =>
        named_modules().Where(m => m.module is LoraLinear && m.name.StartsWith("model.layers.", StringComparison.Ordinal))
                       .Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>Holds the decoder layers' projections quantized (4-bit or int8) from now on (each float weight is replaced and freed).</summary>
    public void quantize_(QuantizationOptions options)
    {
        options.Validate("quantization");
        if (quantization is not null) throw new ModelException($"the model is already quantized ({Describe(quantization)})");
        foreach (var (_, layer) in QuantizableLayers()) layer.quantize_(options);
        quantization = options;
    }

    // Fills the quantizable layers before the float tensors load: a bitsandbytes checkpoint's layers are read as
    // stored; a float checkpoint's weights are read one at a time and quantized. The checkpoint keys used are added to
    // consumed (the float loader then leaves them alone).
    private void LoadQuantized(string folder, QuantizationOptions q, bool prequantized, ScalarType dtype, HashSet<string> consumed)
    {
        using var ckpt = ShardedCheckpoint.Open(folder);
        foreach (var (name, layer) in QuantizableLayers())
        {
            string prefix = name + ".";
            if (prequantized)
            {
                bool eight = q.Bits == 8;
                // a module the checkpoint kept float (llm_int8_skip_modules) has no quantization state
                if (eight ? !Quant8Weight.Stored(ckpt, prefix) : Quant4Weight.StateKey(ckpt, prefix) is null) continue;
                layer.set_quantized(eight ? Quant8Weight.Load(ckpt, prefix, layer.out_features, layer.in_features)
                                          : Quant4Weight.Load(ckpt, prefix, layer.out_features, layer.in_features), dtype);
                consumed.Add(prefix + "weight");
                foreach (string suffix in eight ? Quant8Weight.Suffixes : Quant4Weight.Suffixes) consumed.Add(prefix + suffix);
                continue;
            }
            string key = prefix + "weight";
            if (!ckpt.Contains(key)) continue;   // reported as missing by the float loader
            var info = ckpt.Info(key);
            if (!info.DType.IsFloatingPoint() || !info.Shape.SequenceEqual(new[] { layer.out_features, layer.in_features }))
                continue;   // reported as a mismatch by the float loader
            using (NewDisposeScope())
                layer.quantize_(q, ckpt.Load(key, dtype));
            trim_heap();   // the float copy just freed: its pages go back now, so they never add up across weights
            consumed.Add(key);
        }
    }

    private static string Describe(QuantizationOptions q) => q.Bits == 8 ? "8-bit int8 per row" : $"{q.Bits}-bit {q.QuantType}, double quantization {(q.DoubleQuant ? "on" : "off")}, blocksize {q.Blocksize}";
}
