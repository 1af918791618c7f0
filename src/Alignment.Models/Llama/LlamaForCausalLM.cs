using Alignment.Models.Checkpoints;
using Alignment.Models.Core;
using Alignment.Torch;
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

    public LoraLinear lm_head => (LoraLinear)get_submodule("lm_head");

    /// <summary>A model with random weights drawn as transformers' _init_weights does (see <see cref="ModelInit"/>).</summary>
    /// <param name="config">The configuration (validated here).</param>
    /// <param name="generator">Seeded generator for the weights.</param>
    /// <param name="dtype">Compute dtype (float32 default; bfloat16 and float16 supported).</param>
    /// <param name="device">Device (CPU default).</param>
    public static LlamaForCausalLM from_config(LlamaConfig config, Generator generator, ScalarType dtype = ScalarType.Float32, Device? device = null) =>
        Initialized(new LlamaForCausalLM(config, dtype, device, Check(config, "config", dtype, device)), generator);

    /// <summary>Loads a Hugging Face folder: config.json and model.safetensors or sharded safetensors (f32, f16 or bf16
    /// on disk), converted to <paramref name="dtype"/> tensor by tensor while reading. Nothing is initialized twice:
    /// parameters start uninitialized and are filled from the files.</summary>
    /// <exception cref="ModelException">Unsupported configuration, missing/unexpected tensors, shapes that disagree with
    /// config.json: every problem at once, naming the file and tensor, with a hint.</exception>
    public static LlamaForCausalLM from_pretrained(string folder, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var config = LlamaConfig.Load(folder);
        var warnings = Check(config, Path.Combine(folder, "config.json"), dtype, device);
        return Filled(new LlamaForCausalLM(config, dtype, device, warnings), m =>
        {
            CheckpointLoader.Load(m, folder, Describe(config), m.TiedKeys(),
                                  mayBeIgnored: k => k.StartsWith("v_head.", StringComparison.Ordinal));
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
        SaveFolder(folder, config.ToJson(dtype), tensors, maxShardBytes, overwrite);
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
}
