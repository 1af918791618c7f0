using Alignment.Models.Checkpoints;
using Alignment.Models.Core;
using Alignment.Models.Llama;
using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Heads;

/// <summary>Logits and per-token values of one forward; tensors belong to the caller's dispose scope.</summary>
/// <param name="logits">(B, T, vocab).</param>
/// <param name="values">(B, T) float32: the value head on the final hidden state of every position.</param>
public sealed record ValueHeadOutput(Tensor logits, Tensor values);

/// <summary>
/// A policy with a value head for PPO, laid out as TRL's AutoModelForCausalLMWithValueHead: its state_dict is the
/// language model's own keys (<c>model.*</c>, <c>lm_head.weight</c>) plus <c>v_head.summary.weight</c> and
/// <c>v_head.summary.bias</c>, which is also what its saved folder holds (transformers ignores the v_head tensors when
/// it opens the folder as a plain causal LM). The wrapper owns the policy: disposing it disposes both.
/// </summary>
public sealed class CausalLMWithValueHead : Module
{
    public CausalLMWithValueHead(LlamaForCausalLM policy, ValueHead v_head)
    {
        pretrained_model = policy;
        register_module("model", policy.model);
        register_module("lm_head", policy.lm_head);
        register_module("v_head", v_head);
    }

    /// <summary>The wrapped language model.</summary>
    public LlamaForCausalLM pretrained_model { get; }

    public ValueHead v_head => (ValueHead)get_submodule("v_head");

    /// <summary>Loads the policy from a Hugging Face folder and the value head from its v_head.* tensors when present;
    /// otherwise the head is initialized as TRL does (PyTorch's default Linear init) from <paramref name="generator"/>.</summary>
    public static CausalLMWithValueHead from_pretrained(string folder, Generator? generator = null, double summary_dropout_prob = 0.1,
                                                        ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var policy = LlamaForCausalLM.from_pretrained(folder, dtype, device);
        CausalLMWithValueHead? m = null;
        try
        {
            m = new CausalLMWithValueHead(policy, new ValueHead(policy.config.Hidden, summary_dropout_prob, generator, device));
            if (HasValueHead(folder))
                CheckpointLoader.Load(m.v_head, folder, $"value head over hidden_size {policy.config.Hidden}", prefix: "v_head.");
            return m;
        }
        catch
        {
            if (m is not null) m.Dispose();
            else policy.Dispose();
            throw;
        }
    }

    /// <summary>Writes the policy's Hugging Face folder with the v_head tensors added to its weights (TRL's layout).</summary>
    public void save_pretrained(string folder, long maxShardBytes = 5L << 30, bool overwrite = false)
    {
        var policy = pretrained_model;
        var tied = policy.TiedKeys();
        var tensors = state_dict().Where(kv => !tied.Contains(kv.Key)).ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        policy.SaveFolder(folder, policy.config.ToJson(policy.dtype), tensors, maxShardBytes, overwrite);
    }

    /// <summary>Logits and values in one decoder pass (arguments as <see cref="LlamaForCausalLM.forward"/>).</summary>
    public ValueHeadOutput forward(Tensor input_ids, Tensor? attention_mask = null, KvCache? past_key_values = null)
    {
        using var scope = NewDisposeScope();
        var o = pretrained_model.forward(input_ids, attention_mask, past_key_values, output_hidden_states: true);
        var values = v_head.forward(o.last_hidden_state!);  // (B, T)
        return new ValueHeadOutput(o.logits.MoveToOuterScope(), values.MoveToOuterScope());
    }

    private static bool HasValueHead(string folder)
    {
        using var ckpt = Alignment.Torch.IO.ShardedCheckpoint.Open(folder);
        return ckpt.Names.Any(n => n.StartsWith("v_head.", StringComparison.Ordinal));
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) pretrained_model.Dispose();
    }
}
