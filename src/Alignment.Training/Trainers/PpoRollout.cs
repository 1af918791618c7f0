using Alignment.Models.Generation;
using Alignment.Models.Heads;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Config;
using Alignment.Training.Distributed;
using Alignment.Training.Features;
using Alignment.Training.Losses;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>
/// One PPO batch of experience. Sequences are prompt + sampled completion, right-padded to (B, T); every per-token
/// tensor is (B, T−1) in "shifted" positions — position k holds what the model at token k says about token k+1 — and
/// <see cref="Mask"/> is 1 exactly where token k+1 is a completion token. Old log-probs and values come from the policy
/// before any update, reference log-probs from the frozen reference, both under the distribution the sampler used
/// (temperature, top-k, top-p: <see cref="SamplingLogprobs"/>); rewards are −kl_coef·kl per token plus the score at
/// each completion's last token; advantages are GAE, whitened over the batch.
/// </summary>
public sealed class PpoRollout
{
    public required Tensor InputIds { get; init; }        // (B, T) int64
    public required Tensor AttentionMask { get; init; }   // (B, T) int64
    public required Tensor Labels { get; init; }          // (B, T) int64, −100 outside completions
    public required Tensor Mask { get; init; }            // (B, T−1) float32
    public required Tensor OldLogprobs { get; init; }     // (B, T−1), under the processed sampling distribution
    public required Tensor? Keep { get; init; }           // (B, T, V) bool: the tokens top-k/top-p kept; null when neither is set
    public required GenerationOptions Sampling { get; init; }
    public required Tensor OldValues { get; init; }       // (B, T−1)
    public required Tensor Advantages { get; init; }      // (B, T−1), whitened
    public required Tensor Returns { get; init; }         // (B, T−1)
    public required double[] Scores { get; init; }        // after the missing-EOS penalty
    public required double[] KlPerSequence { get; init; }
    public required double[] NonScorePerSequence { get; init; }
    public required int[] CompletionLengths { get; init; }
    public required bool[] EndedWithEos { get; init; }
    public required double ValueMean { get; init; }
    public int Count => Scores.Length;

    /// <summary>Samples completions for <paramref name="prompts"/> (or takes <paramref name="sampled"/>) and turns them into
    /// training signal. Every tensor is created in the caller's dispose scope. Data parallel (<paramref name="parallel"/>):
    /// the advantages are whitened over every rank's tokens.</summary>
    public static PpoRollout Collect(CausalLMWithValueHead policy, LlamaForCausalLM? reference, IReadOnlyList<int[]> prompts, GenerationOptions generation,
                                     Generator sampling, ISequenceScorer scorer, PpoOptions o, double klCoef, int padId,
                                     IReadOnlyList<GeneratedSequence>? sampled = null, DataParallel? parallel = null)
    {
        var outs = sampled ?? CausalLMGenerator.Generate(policy.pretrained_model, prompts.Select(p => p.Select(x => (long)x).ToArray()).ToList(), generation, sampling);
        var seqs = new List<(int[] ids, int[] labels)>(prompts.Count);
        var full = new List<int[]>(prompts.Count);
        for (int i = 0; i < prompts.Count; i++)
        {
            var completion = outs[i].Tokens.Select(t => (int)t).ToArray();
            var joined = Collator.Join(prompts[i], completion);
            seqs.Add(joined);
            full.Add(RewardSequences.Of(prompts[i], completion));
        }
        var batch = Collator.Build(seqs, padId);
        long t = batch.InputIds.size(1);
        var scores = scorer.Score(full, prompts.Select(p => p.Length).ToList());
        var eos = outs.Select(x => x.FinishReason == FinishReason.Eos).ToArray();
        for (int i = 0; i < scores.Length; i++)
            if (!eos[i]) scores[i] -= o.MissingEosPenalty;

        using var noGrad = no_grad();
        var shiftedLabels = batch.Labels.narrow(1, 1, t - 1);                                   // (B, T−1)
        var mask = shiftedLabels.ne(SequenceLogps.IgnoreIndex).to(float32);
        var o1 = policy.forward(batch.InputIds, batch.AttentionMask);
        var (oldLogprobs, keep) = SamplingLogprobs.Of(o1.logits, batch.Labels, generation);
        var oldValues = o1.values.narrow(1, 0, t - 1).to(float32) * mask;
        Tensor refLogprobs;
        if (reference is not null)
            refLogprobs = SamplingLogprobs.Of(reference.forward(batch.InputIds, batch.AttentionMask).logits, batch.Labels, generation, keep).logprobs;
        else
            using (LoraModel.disable_adapters(policy.pretrained_model))   // a LoRA policy's base is the frozen reference
                refLogprobs = SamplingLogprobs.Of(policy.pretrained_model.forward(batch.InputIds, batch.AttentionMask).logits, batch.Labels, generation, keep).logprobs;
        var kl = (o.KlEstimator == KlEstimator.K1 ? PpoMath.KlK1(oldLogprobs, refLogprobs) : PpoMath.KlK3(oldLogprobs, refLogprobs)) * mask;
        var lengths = outs.Select(x => x.Tokens.Length).ToArray();
        var last = tensor(prompts.Select((p, i) => (long)(p.Length - 1 + lengths[i] - 1)).ToArray());      // shifted index of the last completion token
        var rewards = PpoMath.Rewards(kl, mask, tensor(scores).to(float32), last, klCoef);
        var (advantages, returns) = PpoMath.Gae(rewards, oldValues, mask, o.Gamma, o.Lam);
        var whitened = parallel is { Enabled: true } ? PpoMath.Whiten(advantages, mask, parallel.Sum) : PpoMath.Whiten(advantages, mask);
        return new PpoRollout
        {
            InputIds = batch.InputIds, AttentionMask = batch.AttentionMask, Labels = batch.Labels, Mask = mask,
            OldLogprobs = oldLogprobs, Keep = keep, Sampling = generation, OldValues = oldValues, Advantages = whitened, Returns = returns,
            Scores = scores,
            KlPerSequence = kl.sum(1).to(float64).data<double>(),
            NonScorePerSequence = (-klCoef * kl).sum(1).to(float64).data<double>(),
            CompletionLengths = lengths,
            EndedWithEos = eos,
            ValueMean = PpoMath.MaskedMean(oldValues, mask).item<double>(),
        };
    }
}
