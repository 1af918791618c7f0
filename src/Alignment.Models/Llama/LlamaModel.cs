using Alignment.Models.Core;
using Alignment.Models.Peft;
using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Llama;

/// <summary>What the decoder stack returns; the tensors belong to the caller's dispose scope.</summary>
/// <param name="last_hidden_state">(B, T, hidden): the final RMSNorm's output.</param>
/// <param name="hidden_states">When asked: L + 1 tensors (B, T, hidden) as transformers returns them — the embeddings,
/// each layer's output, the last one replaced by the normed <paramref name="last_hidden_state"/>.</param>
public sealed record DecoderOutput(Tensor last_hidden_state, IReadOnlyList<Tensor>? hidden_states);

/// <summary>
/// The decoder stack transformers calls LlamaModel (the "model." prefix of every checkpoint key): embed_tokens,
/// layers.N, norm. Position ids follow the attention mask as transformers' generate computes them
/// (<c>cumsum(mask) − 1</c>, so left padding does not shift positions), and padded keys are masked.
/// </summary>
public sealed class LlamaModel : Module
{
    private readonly RotaryEmbedding rotary;

    /// <summary>An uninitialized stack (parameters are torch.empty): callers load or draw the weights.</summary>
    internal LlamaModel(LlamaConfig config, ScalarType dtype, Device? device)
    {
        this.config = config;
        rotary = new RotaryEmbedding(config.HeadDim, config.Theta, config.Rope);
        register_module("embed_tokens", new TokenEmbedding(config.Vocab, config.Hidden, config.PadTokenId, dtype, device));
        register_module("layers", new ModuleList<DecoderLayer>(
            Enumerable.Range(0, config.Layers).Select(i => new DecoderLayer(config, i, dtype, device))));
        register_module("norm", new RMSNorm(config.Hidden, config.Eps, dtype, device));
    }

    public LlamaConfig config { get; }

    /// <summary>Gradient checkpointing (transformers' <c>gradient_checkpointing_enable()</c>): in training mode with
    /// gradients recorded, each decoder layer keeps only its input for backward and is recomputed there
    /// (<see cref="DecoderLayer.forward_checkpointed"/>), so the activations of one layer at a time are resident instead
    /// of every layer's, for a second forward pass of the layers. The gradients are the same. Not with a KV cache in
    /// training (prefix tuning), which is refused.</summary>
    public bool gradient_checkpointing { get; set; }

    /// <summary>With <see cref="gradient_checkpointing"/>: how many decoder layers, counted from the first, are
    /// checkpointed (Megatron-LM's <c>recompute_method block</c> with <c>recompute_num_layers</c>); the rest keep their
    /// activations and are not rerun. 0 (the default) checkpoints every layer. Fewer checkpointed layers trade memory
    /// (each kept layer's activations) for speed (each checkpointed layer's second forward pass).</summary>
    public int gradient_checkpointing_layers
    {
        get => checkpointLayers;
        set => checkpointLayers = value >= 0 ? value
            : throw new ModelException($"gradient_checkpointing_layers must be 0 (every layer) or a positive count of layers, got {value}");
    }
    private int checkpointLayers;

    public TokenEmbedding embed_tokens => (TokenEmbedding)get_submodule("embed_tokens");
    public ModuleList<DecoderLayer> layers => (ModuleList<DecoderLayer>)get_submodule("layers");
    public RMSNorm norm => (RMSNorm)get_submodule("norm");
    public RotaryEmbedding rotary_emb => rotary;

    /// <summary>The prompt-learning adapter (prefix tuning, prompt tuning, P-tuning), or null; see
    /// <see cref="Peft.PromptLearning"/>.</summary>
    public VirtualTokens? prompt_encoder => named_children().FirstOrDefault(c => c.name == "prompt_encoder").module as VirtualTokens;

    internal void attach_prompt_encoder(VirtualTokens? encoder)
    {
        remove_module("prompt_encoder")?.Dispose();
        if (encoder is not null) register_module("prompt_encoder", encoder);
    }

    /// <summary>Runs the stack over this step's tokens.</summary>
    /// <param name="input_ids">(B, T) int64 token ids.</param>
    /// <param name="attention_mask">(B, S) with S = cached + T positions: 1 = real token, 0 = padding (left or right);
    /// null = no padding.</param>
    /// <param name="position_ids">(B, T) explicit positions; null = from the mask (or cached length + 0..T-1).</param>
    /// <param name="cache">Keys/values of earlier positions, extended by this call; null = none.</param>
    /// <param name="output_hidden_states">Also return every layer's hidden states.</param>
    public DecoderOutput forward(Tensor input_ids, Tensor? attention_mask = null, Tensor? position_ids = null,
                                 KvCache? cache = null, bool output_hidden_states = false)
    {
        using var scope = NewDisposeScope();
        if (input_ids.dim() != 2)
            throw new ModelException($"input_ids must be (B, T), got shape [{string.Join(", ", input_ids.shape)}]");
        long b = input_ids.size(0), t = input_ids.size(1);
        int past = cache?.Length ?? 0;
        if (attention_mask is not null && (attention_mask.dim() != 2 || attention_mask.size(0) != b || attention_mask.size(1) != past + t))
            throw new ModelException($"attention_mask must be (B, cached + T) = [{b}, {past + t}] (it covers the cached positions too), " +
                                     $"got [{string.Join(", ", attention_mask.shape)}]");
        var h = embed_tokens.forward(input_ids);      // (B, T, hidden)
        int skip = 0;                                 // leading virtual positions to drop from the output
        KvCache? own = null;
        if (prompt_encoder is { } pe)
            (h, attention_mask, position_ids, cache, own, skip) = WithVirtualTokens(pe, h, attention_mask, position_ids, cache, past);
        else
            position_ids ??= PositionIds(attention_mask, past, t, input_ids.device);
        var (cos, sin) = rotary.Tables(position_ids);  // (B or 1, 1, T, D)

        var all = output_hidden_states ? new List<Tensor> { h } : null;
        bool recompute = gradient_checkpointing && training && is_grad_enabled();
        try
        {
            if (recompute && cache is not null)
                throw new ModelException("gradient checkpointing cannot recompute layers that write a KV cache (prefix tuning, or a cache passed in " +
                                         "training mode): turn gradient_checkpointing off, or run the model in eval mode or without gradients");
            int index = 0;
            foreach (var layer in layers)
            {
                bool rerun = recompute && (checkpointLayers == 0 || index++ < checkpointLayers);
                h = rerun ? layer.forward_checkpointed(h, cos, sin, attention_mask) : layer.forward(h, cos, sin, attention_mask, cache);
                all?.Add(h);
            }
        }
        finally
        {
            own?.Dispose();
        }
        h = norm.forward(h);
        if (all is not null) all[^1] = h;
        if (skip > 0)
        {
            h = h.narrow(1, skip, t);
            if (all is not null) all = all.Select(x => x.narrow(1, skip, t)).ToList();
        }
        foreach (var x in all ?? []) x.MoveToOuterScope();
        return new DecoderOutput(h.MoveToOuterScope(), all);
    }

    /// <summary>
    /// Puts the prompt-learning adapter's P virtual positions in front of the tokens, as PEFT's PeftModelForCausalLM
    /// does: the attention mask gets P ones in front (so positions, <c>cumsum(mask) − 1</c>, start at P for the first
    /// token, as in PEFT where the base model sees P cached or embedded positions first). Prefix tuning puts the learned
    /// keys/values into the cache (a temporary one when none is given) before the first token; prompt tuning and
    /// P-tuning put their embeddings before the first step's token embeddings, and their outputs are dropped again
    /// (PEFT returns them; the logits here keep one row per input token). With a cache this happens once, on the
    /// first call; the cache then counts the P positions as <see cref="KvCache.Virtual"/>.
    /// </summary>
    private (Tensor h, Tensor mask, Tensor positions, KvCache? cache, KvCache? own, int skip) WithVirtualTokens(
        VirtualTokens pe, Tensor h, Tensor? attention_mask, Tensor? position_ids, KvCache? cache, int past)
    {
        long b = h.size(0), t = h.size(1);
        int p = pe.num_virtual_tokens;
        // PEFT ignores position_ids for prompt learning (with a warning); refusing them keeps the positions unambiguous.
        if (position_ids is not null)
            throw new ModelException("position_ids cannot be given to a model with a prompt-learning adapter: positions follow the attention mask, virtual tokens first");
        var device = h.device;
        attention_mask ??= ones(new[] { b, past + t }, int64, device);
        var mask = cat(new[] { ones(new[] { b, (long)p }, attention_mask.dtype, device), attention_mask }, 1);  // (B, P + past + T)
        bool first = cache is null || cache.Stored == 0;
        if (!first)
            return (h, mask, PositionIds(mask, p + past, t, device), cache, null, 0);
        if (pe.is_prefix)
        {
            KvCache? own = cache is null ? new KvCache(config.Layers) : null;
            var target = cache ?? own!;
            var kv = pe.past_key_values(b, config.KeyValueHeads, config.HeadDim, h.dtype);
            for (int i = 0; i < kv.Length; i++) target.Update(i, kv[i].keys, kv[i].values);
            target.MarkVirtual(p);
            return (h, mask, PositionIds(mask, p, t, device), target, own, 0);
        }
        var joined = cat(new[] { pe.input_embeddings(b, h.dtype), h }, 1);        // (B, P + T, hidden)
        cache?.MarkVirtual(p);   // the cache holds P + T positions after this forward
        return (joined, mask, PositionIds(mask, 0, p + t, device), cache, null, p);
    }

    /// <summary>(B, T) positions from a (B, S) mask as transformers' generate makes them: <c>cumsum(mask) − 1</c>,
    /// padding set to 1, the last T columns; (1, T) = past..past+T-1 without a mask.</summary>
    public static Tensor PositionIds(Tensor? attention_mask, int past, long t, Device? device = null)
    {
        if (attention_mask is null) return arange(past, past + t, 1, int64, device).unsqueeze(0);  // (1, T)
        using var scope = NewDisposeScope();
        var m = attention_mask.to(int64);
        var pos = m.cumsum(1).sub(1).masked_fill(m.eq(0), 1);                     // (B, S)
        return pos.narrow(1, past, t).MoveToOuterScope();                         // (B, T)
    }
}
