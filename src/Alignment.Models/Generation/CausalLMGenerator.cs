using Alignment.Models.Core;
using Alignment.Models.Llama;
using Alignment.Torch;
using static Alignment.Torch.torch;
using F = Alignment.Torch.torch.nn.functional;

namespace Alignment.Models.Generation;

/// <summary>
/// Batched autoregressive decoding over token ids. Prompts are left-padded into one batch (the attention mask hides the
/// padding and positions come from the mask, so each row decodes as it would alone), keys and values are kept in a
/// preallocated <see cref="KvCache"/>, and each step — forward of the new tokens, choice of the next token, its
/// log-probability — runs in its own dispose scope whose tensors are all freed before the next step: the number of
/// live tensors does not grow with the number of steps.
/// </summary>
public static class CausalLMGenerator
{
    /// <summary>Generates a continuation of every prompt.</summary>
    /// <param name="model">The language model (evaluation mode is not forced; call eval() to disable dropout).</param>
    /// <param name="prompts">Token ids of each prompt, at least one id each.</param>
    /// <param name="options">Decoding settings.</param>
    /// <param name="rng">Seeded generator for sampling; required when <see cref="GenerationOptions.DoSample"/>, unused
    /// when greedy. The same seed, prompts and options give the same tokens.</param>
    /// <returns>One result per prompt, in order.</returns>
    public static IReadOnlyList<GeneratedSequence> Generate(LlamaForCausalLM model, IReadOnlyList<long[]> prompts, GenerationOptions options,
                                                            Generator? rng = null)
    {
        long vocab = model.config.Vocab;
        options.Validate(vocab);
        if (options.DoSample && rng is null) throw new ModelException("sampling needs a seeded generator (rng); pass one, or set DoSample = false for greedy");
        if (prompts.Count == 0) throw new ModelException("no prompts to generate from");
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i].Length == 0) throw new ModelException($"prompt {i} is empty; a prompt needs at least one token (e.g. BOS)");
            foreach (long id in prompts[i])
                if (id < 0 || id >= vocab) throw new ModelException($"prompt {i}: token id {id} is outside the vocabulary [0, {vocab})");
        }

        int b = prompts.Count, promptLength = prompts.Max(p => p.Length), total = promptLength + options.MaxNewTokens;
        var ids = new long[b * total];    // row-major (B, total): left-padded prompt, then the new tokens
        var mask = new long[b * total];
        for (int r = 0; r < b; r++)
        {
            int pad = promptLength - prompts[r].Length;
            for (int j = 0; j < promptLength; j++)
            {
                ids[r * total + j] = j < pad ? options.PadTokenId : prompts[r][j - pad];
                mask[r * total + j] = j < pad ? 0 : 1;
            }
        }

        var state = new SequenceState(b, options);
        using var noGrad = no_grad();
        using var cache = options.UseCache ? model.new_cache(total) : null;
        int length = promptLength;
        for (int step = 0; step < options.MaxNewTokens && state.Unfinished > 0; step++)
        {
            long[] next;
            float[] logprobs;
            using (NewDisposeScope())
            {
                int from = cache is null ? 0 : cache.Length;
                var input = tensor(Slice(ids, b, total, from, length), new long[] { b, length - from }, model.lm_head.weight.device);
                var attention = tensor(Slice(mask, b, total, 0, length), new long[] { b, length }, model.lm_head.weight.device);
                var logits = model.forward(input, attention, cache, logits_to_keep: 1).logits.select(1, -1).to(float32);  // (B, V)
                // Sampling draws on the CPU from the CPU generator (a few kB per step), so one seed gives one result on any device.
                var chosen = options.DoSample
                    ? F.softmax(LogitsWarpers.Apply(logits, options), -1).cpu().multinomial(1, generator: rng).to(logits.device)  // (B, 1)
                    : logits.argmax(-1, keepdim: true);                                                                         // (B, 1)
                var lp = F.log_softmax(logits, -1).gather(1, chosen);                                      // (B, 1)
                next = chosen.data<long>();
                logprobs = lp.data<float>();
            }
            for (int r = 0; r < b; r++)
            {
                long fed = state.Add(r, next[r], logprobs[r]) ? next[r] : options.PadTokenId;
                ids[r * total + length] = fed;
                mask[r * total + length] = 1;
            }
            length++;
            options.OnStep?.Invoke(new GenerationStep(step, state.Unfinished));
        }
        return state.Results();
    }

    // Columns [from, to) of a row-major (rows, stride) array.
    private static long[] Slice(long[] data, int rows, int stride, int from, int to)
    {
        var result = new long[rows * (to - from)];
        for (int r = 0; r < rows; r++) Array.Copy(data, r * stride + from, result, r * (to - from), to - from);
        return result;
    }

    /// <summary>Tokens, log-probs and finish state of each row.</summary>
    private sealed class SequenceState(int rows, GenerationOptions options)
    {
        private readonly List<long>[] tokens = Enumerable.Range(0, rows).Select(_ => new List<long>()).ToArray();
        private readonly List<float>[] logprobs = Enumerable.Range(0, rows).Select(_ => new List<float>()).ToArray();
        private readonly FinishReason?[] reasons = new FinishReason?[rows];

        public int Unfinished { get; private set; } = rows;

        /// <summary>Records row r's new token; false when the row had already finished (the token is discarded).</summary>
        public bool Add(int r, long token, float logprob)
        {
            if (reasons[r] is not null) return false;
            tokens[r].Add(token);
            logprobs[r].Add(logprob);
            if (options.EosTokenIds.Contains(token)) Finish(r, FinishReason.Eos);
            else if (options.StopSequences.Any(s => EndsWith(tokens[r], s))) Finish(r, FinishReason.StopSequence);
            else if (tokens[r].Count >= options.MaxNewTokens) Finish(r, FinishReason.Length);
            return true;
        }

        private void Finish(int r, FinishReason reason)
        {
            reasons[r] = reason;
            Unfinished--;
        }

        private static bool EndsWith(List<long> list, long[] suffix)
        {
            if (list.Count < suffix.Length) return false;
            for (int i = 0; i < suffix.Length; i++)
                if (list[list.Count - suffix.Length + i] != suffix[i]) return false;
            return true;
        }

        public IReadOnlyList<GeneratedSequence> Results() =>
            Enumerable.Range(0, tokens.Length).Select(r => new GeneratedSequence(tokens[r].ToArray(), logprobs[r].ToArray(), reasons[r] ?? FinishReason.Length)).ToList();
    }
}
