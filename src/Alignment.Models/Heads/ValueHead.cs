using Alignment.Torch;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Heads;

/// <summary>
/// PPO's per-token value head, laid out as TRL's ValueHead: <c>summary</c> = Linear(hidden, 1) with bias (keys
/// <c>summary.weight</c>, <c>summary.bias</c>; <c>v_head.summary.*</c> inside <see cref="CausalLMWithValueHead"/>),
/// PyTorch's default Linear initialization (TRL's default strategy), dropout (summary_dropout_prob, default 0.1) on
/// its input in training mode. It is kept in float32 and the hidden states are cast to it, so values come out in
/// float32 whatever the model's dtype (as TRL does).
/// </summary>
public sealed class ValueHead : Module
{
    /// <param name="hidden_size">The decoder's hidden size.</param>
    /// <param name="summary_dropout_prob">Dropout on the hidden states in training mode (TRL's default 0.1).</param>
    /// <param name="generator">Seeds the initialization.</param>
    /// <param name="device">Device.</param>
    public ValueHead(long hidden_size, double summary_dropout_prob = 0.1, Generator? generator = null, Device? device = null)
    {
        if (!(summary_dropout_prob >= 0 && summary_dropout_prob < 1))
            throw new ModelException($"summary_dropout_prob must be in [0, 1), got {summary_dropout_prob}");
        this.summary_dropout_prob = summary_dropout_prob;
        register_module("summary", new Linear(hidden_size, 1, bias: true, dtype: float32, device: device, generator: generator));
    }

    public double summary_dropout_prob { get; }
    public Linear summary => (Linear)get_submodule("summary");

    /// <summary>hidden (B, T, hidden) → values (B, T) float32.</summary>
    public Tensor forward(Tensor hidden)
    {
        using var scope = NewDisposeScope();
        var h = F.dropout(hidden, summary_dropout_prob, training);
        var w = summary.weight;
        if (h.dtype != w.dtype) h = h.to(w.dtype);
        return summary.forward(h).squeeze(-1).MoveToOuterScope();  // (B, T)
    }
}
