using Alignment.Models.Generation;
using Alignment.Models.Llama;

namespace Alignment.Models.Tests;

using F = torch.nn.functional;

// Decoding: cache vs no cache, left-padded batches vs single prompts, stopping, sampling reproducibility, and the
// warpers against hand-computed values.
public class GenerationTests
{
    private static readonly long[][] Prompts = [[5, 17, 9, 33, 2], [40, 7], [11, 12, 13, 14, 15, 16, 18, 19]];

    // |expected − actual| ≤ 1e-4: float32 log-probs computed along two paths (cache/no cache, batch/alone).
    private static void Near(double expected, double actual) =>
        Assert.True(Math.Abs(expected - actual) <= 1e-4, $"{actual:R} differs from {expected:R} by more than 1e-4");

    private static IReadOnlyList<GeneratedSequence> Greedy(LlamaForCausalLM m, IReadOnlyList<long[]> prompts, bool cache = true, int n = 12) =>
        CausalLMGenerator.Generate(m, prompts, new GenerationOptions { MaxNewTokens = n, UseCache = cache });

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen3")]
    public void Greedy_with_the_kv_cache_equals_greedy_without_it(string type)
    {
        using var model = Tiny.Model(type, seed: 11);
        var with = Greedy(model, Prompts, cache: true);
        var without = Greedy(model, Prompts, cache: false);
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(without[i].Tokens, with[i].Tokens);
            for (int j = 0; j < with[i].LogProbs.Length; j++) Near(without[i].LogProbs[j], with[i].LogProbs[j]);
        }
        Assert.True(with.SelectMany(s => s.Tokens).Distinct().Count() > 3, "degenerate output would make the comparison weak");
    }

    [Fact]
    public void A_left_padded_batch_generates_what_each_prompt_generates_alone()
    {
        using var model = Tiny.Model("qwen2", seed: 12);
        var batch = Greedy(model, Prompts);
        for (int i = 0; i < Prompts.Length; i++)
        {
            var alone = Greedy(model, [Prompts[i]])[0];
            Assert.Equal(alone.Tokens, batch[i].Tokens);
            Assert.Equal(FinishReason.Length, batch[i].FinishReason);
            for (int j = 0; j < alone.LogProbs.Length; j++) Near(alone.LogProbs[j], batch[i].LogProbs[j]);
        }
    }

    [Fact]
    public void Log_probs_are_those_of_the_chosen_tokens_under_the_unmodified_distribution()
    {
        using var model = Tiny.Model(seed: 13);
        using var rng = new Generator(5);
        var r = CausalLMGenerator.Generate(model, [Prompts[0]],
            new GenerationOptions { MaxNewTokens = 6, DoSample = true, Temperature = 0.7, TopK = 10, TopP = 0.9 }, rng)[0];

        // Re-score prompt + generated tokens in one plain forward: the raw log_softmax must give the same numbers.
        var all = Prompts[0].Concat(r.Tokens).ToArray();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.forward(tensor(all, new long[] { 1, all.Length })).logits;
        var lp = F.log_softmax(logits, -1).data<float>();
        long v = logits.size(2);
        for (int j = 0; j < r.Tokens.Length; j++)
        {
            int pos = Prompts[0].Length + j - 1;
            Near(lp[pos * v + r.Tokens[j]], r.LogProbs[j]);
        }
    }

    [Fact]
    public void Sampling_is_reproducible_from_the_seed_and_depends_on_it()
    {
        using var model = Tiny.Model(seed: 14);
        var options = new GenerationOptions { MaxNewTokens = 16, DoSample = true, Temperature = 1.5 };
        IReadOnlyList<GeneratedSequence> Run(ulong seed)
        {
            using var rng = new Generator(seed);
            return CausalLMGenerator.Generate(model, Prompts, options, rng);
        }
        var a = Run(1);
        var b = Run(1);
        var c = Run(2);
        for (int i = 0; i < Prompts.Length; i++) Assert.Equal(a[i].Tokens, b[i].Tokens);
        Assert.NotEqual(a.SelectMany(s => s.Tokens), c.SelectMany(s => s.Tokens));
        Assert.Throws<ModelException>(() => CausalLMGenerator.Generate(model, Prompts, options));   // sampling without an rng
    }

    [Fact]
    public void Top_k_of_one_samples_the_greedy_tokens()
    {
        using var model = Tiny.Model(seed: 15);
        using var rng = new Generator(3);
        var sampled = CausalLMGenerator.Generate(model, Prompts, new GenerationOptions { MaxNewTokens = 8, DoSample = true, TopK = 1, Temperature = 3 }, rng);
        var greedy = Greedy(model, Prompts, n: 8);
        for (int i = 0; i < Prompts.Length; i++) Assert.Equal(greedy[i].Tokens, sampled[i].Tokens);
    }

    [Fact]
    public void Generation_stops_at_eos_ids_and_stop_sequences_and_keeps_them()
    {
        using var model = Tiny.Model(seed: 16);
        var free = Greedy(model, [Prompts[2]], n: 10)[0].Tokens;

        long[] eosIds = [free[3], 63];
        var eos = CausalLMGenerator.Generate(model, [Prompts[2]], new GenerationOptions { MaxNewTokens = 10, EosTokenIds = eosIds })[0];
        int firstEos = Array.FindIndex(free, t => eosIds.Contains(t));
        Assert.Equal(FinishReason.Eos, eos.FinishReason);
        Assert.Equal(free.Take(firstEos + 1), eos.Tokens);
        Assert.Equal(eos.Tokens.Length, eos.LogProbs.Length);

        var stop = CausalLMGenerator.Generate(model, [Prompts[2]], new GenerationOptions { MaxNewTokens = 10, StopSequences = [[free[4], free[5]]] })[0];
        int end = Enumerable.Range(1, free.Length - 1).First(k => free[k - 1] == free[4] && free[k] == free[5]) + 1;
        Assert.Equal(FinishReason.StopSequence, stop.FinishReason);
        Assert.Equal(free.Take(end), stop.Tokens);

        var limited = Greedy(model, [Prompts[2]], n: 3)[0];
        Assert.Equal(FinishReason.Length, limited.FinishReason);
        Assert.Equal(free.Take(3), limited.Tokens);
    }

    [Fact]
    public void A_finished_row_does_not_change_the_others_in_its_batch()
    {
        using var model = Tiny.Model(seed: 17);
        var free = Greedy(model, Prompts, n: 8);
        var stopped = CausalLMGenerator.Generate(model, Prompts, new GenerationOptions { MaxNewTokens = 8, EosTokenIds = [free[0].Tokens[1]] });
        Assert.True(stopped[0].Tokens.Length <= 2);
        for (int i = 1; i < Prompts.Length; i++)
        {
            int cut = Array.IndexOf(free[i].Tokens, free[0].Tokens[1]);
            var expected = cut >= 0 ? free[i].Tokens.Take(cut + 1) : free[i].Tokens;
            Assert.Equal(expected, stopped[i].Tokens);
        }
    }

    [Fact]
    public void Bad_requests_are_refused_before_any_work()
    {
        using var model = Tiny.Model();
        Assert.Contains("outside the vocabulary", Assert.Throws<ModelException>(() => Greedy(model, [[1, 64]])).Message);
        Assert.Contains("empty", Assert.Throws<ModelException>(() => Greedy(model, [[]])).Message);
        Assert.Throws<ModelException>(() => CausalLMGenerator.Generate(model, Prompts, new GenerationOptions { TopP = 0 }));
        Assert.Throws<ModelException>(() => CausalLMGenerator.Generate(model, Prompts, new GenerationOptions { MaxNewTokens = 0 }));
    }

    [Fact]
    public void Warpers_match_hand_computed_filters()
    {
        using var scope = NewDisposeScope();
        // probabilities ∝ e^logit: [0.0321, 0.0871, 0.2369, 0.6439] for logits [0, 1, 2, 3]
        var logits = tensor(new float[] { 2, 0, 3, 1 }, new long[] { 1, 4 });
        float ninf = float.NegativeInfinity;
        Assert.Equal([2f, ninf, 3f, ninf], LogitsWarpers.TopK(logits, 2).data<float>());
        Assert.Equal([1f, 0f, 1.5f, 0.5f], LogitsWarpers.Temperature(logits, 2).data<float>());
        // top_p 0.8: 0.6439 alone is < 0.8, with 0.2369 it reaches 0.8808 → keep {3, 2}
        Assert.Equal([2f, ninf, 3f, ninf], LogitsWarpers.TopP(logits, 0.8).data<float>());
        // top_p 0.5: the most likely token alone (0.6439) covers it
        Assert.Equal([ninf, ninf, 3f, ninf], LogitsWarpers.TopP(logits, 0.5).data<float>());
        // top_p 0.9: needs 0.6439 + 0.2369 + 0.0871 = 0.9679
        Assert.Equal([2f, ninf, 3f, 1f], LogitsWarpers.TopP(logits, 0.9).data<float>());
    }
}
