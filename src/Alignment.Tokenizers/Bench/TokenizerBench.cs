using System.Diagnostics;
using System.Text;

namespace Alignment.Tokenizers.Bench;

/// <summary>Encode throughput of one tokenizer on one core (behind <c>align bench tokenizer</c>).</summary>
public static class TokenizerBench
{
    /// <param name="Bytes">UTF-8 bytes encoded per pass.</param>
    /// <param name="Tokens">Tokens produced per pass.</param>
    /// <param name="ColdMegabytesPerSecond">The first pass, with an empty per-word cache.</param>
    /// <param name="MegabytesPerSecond">The following passes (steady state, cache warm), 10^6 bytes per second.</param>
    /// <param name="Passes">How many passes were timed after the first.</param>
    public sealed record Result(long Bytes, long Tokens, double ColdMegabytesPerSecond, double MegabytesPerSecond, double TokensPerSecond, int Passes)
    {
        public override string ToString() =>
            $"{Bytes / 1e6:F2} MB -> {Tokens} tokens; cold {ColdMegabytesPerSecond:F1} MB/s, warm {MegabytesPerSecond:F1} MB/s ({TokensPerSecond / 1e6:F2} M tokens/s, {Passes} passes)";
    }

    /// <summary>
    /// Encodes <paramref name="text"/>, cut into documents of about 4 KB at line breaks, on the calling
    /// thread: one cold pass, then passes until <paramref name="minDuration"/> (default 2 s) has elapsed.
    /// </summary>
    public static Result Run(Tokenizer tokenizer, string text, TimeSpan? minDuration = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentException.ThrowIfNullOrEmpty(text);
        var documents = Documents(text, 4096);
        long bytes = Encoding.UTF8.GetByteCount(text);

        var clock = Stopwatch.StartNew();
        long tokens = EncodeAll(tokenizer, documents);
        double cold = bytes / 1e6 / clock.Elapsed.TotalSeconds;

        var limit = minDuration ?? TimeSpan.FromSeconds(2);
        int passes = 0;
        clock.Restart();
        do
        {
            EncodeAll(tokenizer, documents);
            passes++;
        } while (clock.Elapsed < limit);
        double seconds = clock.Elapsed.TotalSeconds;
        return new Result(bytes, tokens, cold, bytes * passes / 1e6 / seconds, tokens * passes / seconds, passes);
    }

    /// <summary>Deterministic English prose of about <paramref name="bytes"/> bytes, for when no corpus is given.</summary>
    public static string SampleText(int bytes = 4_000_000)
    {
        var sb = new StringBuilder(bytes + SampleParagraphs[0].Length);
        for (int i = 0; sb.Length < bytes; i++)
            sb.Append(SampleParagraphs[i % SampleParagraphs.Length]).Append(i % 7 == 6 ? "\n\n" : "\n");
        return sb.ToString();
    }

    private static long EncodeAll(Tokenizer tokenizer, List<string> documents)
    {
        long tokens = 0;
        foreach (var d in documents) tokens += tokenizer.Encode(d).Length;
        return tokens;
    }

    private static List<string> Documents(string text, int size)
    {
        var documents = new List<string>();
        int start = 0;
        while (start < text.Length)
        {
            int end = Math.Min(text.Length, start + size);
            if (end < text.Length)
            {
                int newline = text.LastIndexOf('\n', end - 1, end - start);
                if (newline > start) end = newline + 1;
            }
            documents.Add(text[start..end]);
            start = end;
        }
        return documents;
    }

    private static readonly string[] SampleParagraphs =
    [
        "Reinforcement learning from human feedback begins with a model that already follows instructions reasonably well. People compare pairs of its answers and say which one they prefer, and those judgments train a reward model that scores any answer to any prompt.",
        "The policy is then optimized against the reward model. Because the reward model is only an approximation of what people want, the optimization is held back by a penalty on the divergence from the reference model; without it, the policy learns to exploit the reward model's mistakes.",
        "Direct preference optimization removes the separate reward model. It shows that the optimal policy under a KL-constrained objective can be written in closed form, so the preference data can be fit directly with a simple classification loss over chosen and rejected answers.",
        "In practice, the quality of the data matters more than the choice of algorithm. Annotators disagree, guidelines drift, and a handful of careless judgments can teach the model the wrong lesson, which is why agreement between annotators is measured and reviewed.",
        "A tokenizer turns text into the integers a model reads. Modern tokenizers learn their vocabulary from a large corpus by merging the most frequent pairs of symbols, so common words become a single token while rare words are spelled out in pieces.",
        "The weather was mild for November. She walked to the station, bought a coffee, and read the morning paper while the train crossed the river; by the time it reached the city, the fog had lifted and the towers were bright in the sun.",
        "\"Are you sure?\" he asked. \"We've tried that twice already, and it didn't work either time.\" She laughed, shook her head, and said they'd try a third way: measure first, then change one thing at a time, and write down what happened.",
        "Training runs for 3 epochs with a learning rate of 5e-6, a batch size of 64 and a maximum sequence length of 2048 tokens; checkpoints are written every 500 steps, and the run can resume exactly from any of them.",
    ];
}
