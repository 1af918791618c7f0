using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Training.Losses;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>What <see cref="LabelledForward.Run"/> returns. Dispose it (or let the enclosing dispose scope free it).</summary>
/// <param name="Sum">(B) summed log-prob of each row's labelled tokens.</param>
/// <param name="Count">(B) how many labelled tokens each row has.</param>
/// <param name="Logits">(N, V) the logits of the N scored positions only, in row-major order.</param>
/// <param name="Rows">(N) int64: the batch row of each scored position.</param>
public sealed record LabelledLogps(Tensor Sum, Tensor Count, Tensor Logits, Tensor Rows);

/// <summary>
/// A causal LM forward that applies the LM head only where a label is predicted: the decoder runs over every token, but
/// the (B·T, V) logits — the biggest activation of a step, and with a real vocabulary (Qwen2.5: 151,936 × 896) a
/// quarter of the FLOPs — are computed for the N positions whose next token is labelled, not for prompt and padding
/// positions. Same values as <c>SequenceLogps.Compute(model.forward(...).logits, labels)</c> up to rounding (tested).
/// </summary>
public static class LabelledForward
{
    public static LabelledLogps Run(LlamaForCausalLM model, Tensor inputIds, Tensor? attentionMask, Tensor labels)
    {
        using var scope = NewDisposeScope();
        long b = labels.size(0), t = labels.size(1);
        var hidden = model.model.forward(inputIds, attentionMask).last_hidden_state;        // (B, T, d)
        var targets = SequenceLogps.NextTokenTargets(labels).reshape(b * t);                 // (B·T)
        var positions = targets.ne(SequenceLogps.IgnoreIndex).nonzero().reshape(-1);          // (N) flat indices
        var logits = model.lm_head.forward(hidden.reshape(b * t, hidden.size(2)).index_select(0, positions));  // (N, V)
        var tokenLogps = nn.functional.logprobs_of(logits, targets.index_select(0, positions), SequenceLogps.IgnoreIndex);  // (N)
        var rows = positions.floor_divide(t);                                                // (N) int64
        var sum = zeros(new[] { b }, tokenLogps.dtype, tokenLogps.device).scatter_add(0, rows, tokenLogps);
        var count = zeros(new[] { b }, tokenLogps.dtype, tokenLogps.device).scatter_add(0, rows, ones_like(tokenLogps));
        return new LabelledLogps(sum.MoveToOuterScope(), count.MoveToOuterScope(), logits.MoveToOuterScope(), rows.MoveToOuterScope());
    }
}
