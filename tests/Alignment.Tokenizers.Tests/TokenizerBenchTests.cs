using System.Text;
using Alignment.Tokenizers.Bench;

namespace Alignment.Tokenizers.Tests;

/// <summary>The bench counts what it encodes (its speed is measured by <c>align bench tokenizer</c>, never asserted).</summary>
public class TokenizerBenchTests
{
    [Fact]
    public void Bench_reports_the_bytes_and_tokens_it_encoded()
    {
        var tokenizer = ReferenceFixture.Tokenizer("llama3");
        string text = TokenizerBench.SampleText(20_000);
        var result = TokenizerBench.Run(tokenizer, text, TimeSpan.FromMilliseconds(1));

        Assert.Equal(Encoding.UTF8.GetByteCount(text), result.Bytes);
        // Documents are cut at line breaks, where Llama 3's regex cuts too: same tokens as the whole text.
        Assert.Equal(tokenizer.Encode(text).Length, result.Tokens);
        Assert.True(result.Passes >= 1);
        Assert.True(result.MegabytesPerSecond > 0 && result.ColdMegabytesPerSecond > 0);
    }

    [Fact]
    public void Sample_text_is_deterministic_english_of_the_asked_size()
    {
        string a = TokenizerBench.SampleText(50_000), b = TokenizerBench.SampleText(50_000);
        Assert.Equal(a, b);
        Assert.InRange(a.Length, 50_000, 51_000);
        Assert.Contains("Reinforcement learning from human feedback", a);
    }
}
