using Alignment.Models.Generation;
using Alignment.Torch;
using Alignment.Training.Losses;
using static Alignment.Torch.torch;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Training.Trainers;

/// <summary>
/// Log-probabilities of sampled tokens under the distribution the sampler drew them from: the logits divided by the
/// temperature and, when top-k or top-p is set, restricted to the tokens those warpers kept (the rest get −∞ and the
/// kept ones are renormalized), as <see cref="LogitsWarpers"/> applies them before sampling. Optimizing the raw
/// log-probs while sampling from the warped distribution would make the sampling policy and the optimized policy differ.
/// <para>The kept set is decided once, from the rollout's logits, and reused for every later update of the same
/// rollout (<paramref name="keep"/>): the sampled token is always inside it, so an update that shifts probability can
/// never turn a sampled token's log-prob into −∞.</para>
/// </summary>
public static class SamplingLogprobs
{
    /// <summary>Whether top-k or top-p restricts the support (a kept-set mask is then needed).</summary>
    public static bool Restricts(GenerationOptions o) => o.TopK > 0 || o.TopP < 1.0;

    /// <summary>(B, T−1) float32 log-probs of each next token (labels −100 give 0) under logits (B, T, V) processed as
    /// <paramref name="o"/> samples; also the kept-set mask (B, T, V) bool (null when nothing is restricted), computed
    /// from these logits unless <paramref name="keep"/> is given.</summary>
    public static (Tensor logprobs, Tensor? keep) Of(Tensor logits, Tensor labels, GenerationOptions o, Tensor? keep = null)
    {
        using var scope = NewDisposeScope();
        long t = logits.size(1), v = logits.size(2);
        var scaled = o.Temperature == 1.0 ? logits : logits.to(float32) / o.Temperature;
        bool computed = false;
        if (Restricts(o))
        {
            computed = keep is null;
            if (keep is null)
                using (no_grad())
                {
                    var flat = scaled.detach().to(float32).reshape(-1, v);
                    var warped = LogitsWarpers.TopP(LogitsWarpers.TopK(flat, o.TopK), o.TopP);
                    keep = warped.isinf().logical_not().reshape(logits.size(0), t, v);
                }
            scaled = scaled.masked_fill(keep.logical_not(), double.NegativeInfinity);
        }
        var all = F.logprobs_of(scaled, SequenceLogps.NextTokenTargets(labels), SequenceLogps.IgnoreIndex);   // (B, T), last 0
        var result = all.narrow(1, 0, t - 1).to(float32).contiguous().MoveToOuterScope();
        return (result, computed ? keep!.MoveToOuterScope() : keep);
    }

    /// <summary>Mean entropy (nats) per masked position of the processed distribution (TRL's <c>entropy</c> metric);
    /// logits (B, T, V), mask (B, T−1).</summary>
    public static double Entropy(Tensor logits, Tensor? keep, GenerationOptions o, Tensor mask)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        long t = logits.size(1);
        var scaled = logits.detach().narrow(1, 0, t - 1).to(float32) / o.Temperature;
        if (keep is not null) scaled = scaled.masked_fill(keep.narrow(1, 0, t - 1).logical_not(), double.NegativeInfinity);
        var logp = F.log_softmax(scaled, -1);
        var perToken = -(logp.exp() * logp.masked_fill(logp.isinf(), 0)).sum(-1);      // (B, T−1)
        return ((perToken * mask).sum() / mask.sum().clamp(min: 1)).item<double>();
    }
}
