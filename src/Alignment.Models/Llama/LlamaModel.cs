using Alignment.Models.Core;
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
    public TokenEmbedding embed_tokens => (TokenEmbedding)get_submodule("embed_tokens");
    public ModuleList<DecoderLayer> layers => (ModuleList<DecoderLayer>)get_submodule("layers");
    public RMSNorm norm => (RMSNorm)get_submodule("norm");
    public RotaryEmbedding rotary_emb => rotary;

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
        position_ids ??= PositionIds(attention_mask, past, t, input_ids.device);
        var (cos, sin) = rotary.Tables(position_ids);  // (B or 1, 1, T, D)

        var h = embed_tokens.forward(input_ids);      // (B, T, hidden)
        var all = output_hidden_states ? new List<Tensor> { h } : null;
        foreach (var layer in layers)
        {
            h = layer.forward(h, cos, sin, attention_mask, cache);
            all?.Add(h);
        }
        h = norm.forward(h);
        if (all is not null) all[^1] = h;
        foreach (var x in all ?? []) x.MoveToOuterScope();
        return new DecoderOutput(h.MoveToOuterScope(), all);
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
