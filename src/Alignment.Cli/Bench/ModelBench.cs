using System.Diagnostics;
using Alignment.Models.Checkpoints;
using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Cli.Bench;

/// <summary>The fixed model of `align bench forward` and `align bench generate`, printed in their JSON.</summary>
public sealed record BenchModelConfig(string ModelType, int VocabSize, int HiddenSize, int IntermediateSize, int NumHiddenLayers,
                                      int NumAttentionHeads, int NumKeyValueHeads, int HeadDim, long Parameters);

/// <summary>One batch size's throughput.</summary>
/// <param name="Batch">Sequences per call.</param>
/// <param name="Tokens">Tokens per call: batch × sequence length (forward) or batch × new tokens (generate).</param>
/// <param name="Iterations">Timed calls (after one warm-up call).</param>
/// <param name="MedianSeconds">Median time of one call.</param>
/// <param name="TokensPerSecond">Tokens / median seconds.</param>
public sealed record Throughput(int Batch, long Tokens, int Iterations, double MedianSeconds, double TokensPerSecond);

/// <summary>
/// Model throughput on a fixed tiny Llama-shaped configuration (random weights drawn from a fixed seed; speed does not
/// depend on their values): forward tokens/s (no gradients, full logits) and greedy generation tokens/s (left-padded
/// batch, KV cache, new tokens only counted).
/// </summary>
public static class ModelBench
{
    /// <summary>4 layers, hidden 256, 8 query / 4 key-value heads (GQA), vocabulary 4096: about 5M parameters.</summary>
    public static LlamaConfig Config { get; } = TinyModels.Config("llama", vocab: 4096, hidden: 256, layers: 4, heads: 8, kvHeads: 4, intermediate: 688);

    public static readonly int[] DefaultBatches = [1, 16];

    public static LlamaForCausalLM CreateModel(ScalarType dtype)
    {
        using var g = new Generator(1234);
        return LlamaForCausalLM.from_config(Config, g, dtype).eval();
    }

    public static BenchModelConfig Describe(LlamaForCausalLM m) => new(
        Config.ModelType!, Config.Vocab, Config.Hidden, Config.Intermediate, Config.Layers, Config.Heads, Config.KeyValueHeads, Config.HeadDim,
        m.parameters().Sum(p => p.numel()));

    /// <summary>Forward passes of (batch, seqLen) random ids under no_grad.</summary>
    public static Throughput Forward(LlamaForCausalLM model, int batch, int seqLen, int? iterations)
    {
        using var g = new Generator(7);
        using var scope = NewDisposeScope();
        var ids = randint(0, Config.Vocab, new long[] { batch, seqLen }, generator: g);
        using var noGrad = no_grad();
        return Time(() =>
        {
            using (NewDisposeScope()) model.forward(ids);
        }, batch, (long)batch * seqLen, iterations);
    }

    /// <summary>Greedy generation of newTokens tokens after random prompts of promptLen tokens.</summary>
    public static Throughput Generate(LlamaForCausalLM model, int batch, int promptLen, int newTokens, int? iterations)
    {
        var rng = new Random(7);
        var prompts = Enumerable.Range(0, batch).Select(_ => Enumerable.Range(0, promptLen).Select(_ => (long)rng.Next(Config.Vocab)).ToArray()).ToList();
        var options = new GenerationOptions { MaxNewTokens = newTokens };
        return Time(() => CausalLMGenerator.Generate(model, prompts, options), batch, (long)batch * newTokens, iterations);
    }

    // One warm-up call, then `iterations` timed calls (null: as many as fit in about a second, 3 to 50).
    private static Throughput Time(Action call, int batch, long tokens, int? iterations)
    {
        long start = Stopwatch.GetTimestamp();
        call();
        double first = Stopwatch.GetElapsedTime(start).TotalSeconds;
        int n = iterations ?? (int)Math.Clamp(1.0 / Math.Max(first, 1e-6), 3, 50);
        var seconds = new double[n];
        for (int i = 0; i < n; i++)
        {
            start = Stopwatch.GetTimestamp();
            call();
            seconds[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        double median = TorchBench.Median(seconds);
        return new Throughput(batch, tokens, n, median, tokens / median);
    }
}
