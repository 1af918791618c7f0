using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Peft;

/// <summary>
/// A prompt-learning adapter attached to a decoder (<see cref="Llama.LlamaModel.prompt_encoder"/>): it computes, for the
/// <c>num_virtual_tokens</c> virtual tokens, either every layer's prefix keys and values (prefix tuning) or input
/// embeddings put before the tokens (prompt tuning, P-tuning). Its parameters are float32 (PEFT builds its prompt
/// encoders in the default dtype); the outputs are cast to the model's dtype, as PEFT's get_prompt does.
/// Submodule names are PEFT's (<c>embedding</c>, <c>transform</c>, <c>mlp_head</c>, <c>lstm_head</c>).
/// </summary>
public abstract class VirtualTokens : Module
{
    protected VirtualTokens(PromptLearningConfig config) => this.config = config;

    /// <summary>The settings, completed for the model (<see cref="PromptLearningConfig.For"/>).</summary>
    public PromptLearningConfig config { get; }

    public int num_virtual_tokens => config.NumVirtualTokens;

    /// <summary>True for prefix tuning (keys/values per layer), false for input embeddings.</summary>
    public bool is_prefix => config.IsPrefix;

    /// <summary>(num_virtual_tokens, width) as PEFT's get_prompt_embedding_to_save returns it: the encoder's output for
    /// the virtual tokens 0..P-1, width num_layers·2·token_dim for prefix tuning and token_dim otherwise. This is
    /// what PEFT saves as <c>prompt_embeddings</c>.</summary>
    public abstract Tensor encode();

    /// <summary>Prefix tuning: layer i's keys and values, each (B, Hkv, P, D) in <paramref name="dtype"/>. PEFT views the
    /// encoder output (B, P, L·2·token_dim) as (B, P, L·2, Hkv, D), permutes it to (L·2, B, Hkv, P, D) and splits it in
    /// pairs: layer i's keys are entry 2i, its values entry 2i+1.</summary>
    public (Tensor keys, Tensor values)[] past_key_values(long batch, int kvHeads, int headDim, ScalarType dtype)
    {
        if (!is_prefix) throw new ModelException($"{config.PeftType} makes input embeddings, not past keys/values");
        using var scope = NewDisposeScope();
        int p = num_virtual_tokens, layers = config.NumLayers!.Value;
        var kv = encode().to(dtype).view(p, layers * 2, kvHeads, headDim).permute(1, 2, 0, 3);  // (L·2, Hkv, P, D)
        var result = new (Tensor, Tensor)[layers];
        for (int i = 0; i < layers; i++)
        {
            var k = kv.select(0, 2 * i).unsqueeze(0).expand(batch, kvHeads, p, headDim);
            var v = kv.select(0, 2 * i + 1).unsqueeze(0).expand(batch, kvHeads, p, headDim);
            result[i] = (k.MoveToOuterScope(), v.MoveToOuterScope());
        }
        return result;
    }

    /// <summary>Prompt tuning / P-tuning: the virtual tokens' input embeddings (B, P, hidden) in <paramref name="dtype"/>.</summary>
    public Tensor input_embeddings(long batch, ScalarType dtype)
    {
        if (is_prefix) throw new ModelException("prefix tuning makes past keys/values, not input embeddings");
        using var scope = NewDisposeScope();
        var e = encode().to(dtype);                                              // (P, hidden)
        return e.unsqueeze(0).expand(batch, e.size(0), e.size(1)).MoveToOuterScope();
    }

    /// <summary>Builds the encoder for a config completed by <see cref="PromptLearningConfig.For"/>, drawing its
    /// parameters from <paramref name="generator"/> (PyTorch's default initializations: embeddings N(0, 1), Linear and
    /// LSTM weights U(±1/√fan)).</summary>
    /// <param name="initEmbeddings">Prompt tuning TEXT: the (P, hidden) rows to start from (word embeddings of the text).</param>
    public static VirtualTokens Create(PromptLearningConfig config, Generator generator, Device? device = null, Tensor? initEmbeddings = null) =>
        config.PeftType switch
        {
            PromptLearningConfig.PrefixTuning => new PrefixEncoder(config, generator, device),
            PromptLearningConfig.PTuning => new PromptEncoder(config, generator, device),
            _ => new PromptEmbedding(config, generator, device, initEmbeddings),
        };

    /// <summary>The inference form PEFT loads a saved adapter into: the saved <c>prompt_embeddings</c> as the table
    /// itself, with no projection or encoder (PEFT's inference_mode).</summary>
    public static VirtualTokens FromSaved(PromptLearningConfig config, Tensor promptEmbeddings) =>
        config.IsPrefix
            ? new PrefixEncoder(config with { PrefixProjection = false }, promptEmbeddings)
            : new PromptEmbedding(config, promptEmbeddings);
}
