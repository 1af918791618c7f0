using System.Text.Json;

namespace Alignment.Cli.Tests;

// `align bench forward|generate --json` with small settings: the JSON carries the fixed config and one result per batch
// size. Speeds are printed, never judged.
public class ModelBenchCommandTests
{
    [Fact]
    public void Bench_forward_json_reports_the_config_and_tokens_per_second_per_batch()
    {
        var r = CliRunner.Run("--threads", "1", "bench", "forward", "--json", "--batch", "1", "--batch", "3", "--seq-len", "8", "--iterations", "1");

        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        Assert.Equal("forward", root.GetProperty("benchmark").GetString());
        Assert.Equal(8, root.GetProperty("seq_len").GetInt32());
        var config = root.GetProperty("config");
        Assert.Equal("llama", config.GetProperty("model_type").GetString());
        Assert.Equal(4096, config.GetProperty("vocab_size").GetInt32());
        Assert.Equal(4, config.GetProperty("num_hidden_layers").GetInt32());
        Assert.True(config.GetProperty("parameters").GetInt64() > 4_000_000);
        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal([1, 3], results.Select(x => x.GetProperty("batch").GetInt32()));
        Assert.Equal([8L, 24], results.Select(x => x.GetProperty("tokens").GetInt64()));
        foreach (var x in results)
            Assert.Equal(x.GetProperty("tokens").GetInt64() / x.GetProperty("median_seconds").GetDouble(), x.GetProperty("tokens_per_second").GetDouble(), 6);
    }

    [Fact]
    public void Bench_generate_json_counts_new_tokens_only()
    {
        var r = CliRunner.Run("--threads", "1", "bench", "generate", "--json", "--batch", "2", "--prompt-len", "4", "--new-tokens", "3", "--iterations", "1");

        Assert.True(r.ExitCode == 0, r.Error);
        using var doc = JsonDocument.Parse(r.Out);
        Assert.Equal("generate", doc.RootElement.GetProperty("benchmark").GetString());
        Assert.Equal(3, doc.RootElement.GetProperty("new_tokens").GetInt32());
        var result = Assert.Single(doc.RootElement.GetProperty("results").EnumerateArray());
        Assert.Equal(6, result.GetProperty("tokens").GetInt64());
        Assert.True(result.GetProperty("tokens_per_second").GetDouble() > 0);
    }

    [Fact]
    public void Bench_generate_table_names_the_model()
    {
        var r = CliRunner.Run("--threads", "1", "bench", "generate", "--batch", "1", "--prompt-len", "2", "--new-tokens", "2", "--iterations", "1");
        Assert.True(r.ExitCode == 0, r.Error);
        Assert.Contains("tokens/s", r.Out);
        Assert.Contains("4 layers", r.Out);
    }

    [Theory]
    [InlineData("forward", "--batch", "0")]
    [InlineData("forward", "--dtype", "int64")]
    [InlineData("generate", "--new-tokens", "none")]
    public void Bad_values_are_usage_errors(string sub, string option, string value)
    {
        var r = CliRunner.Run("bench", sub, option, value);
        Assert.Equal(1, r.ExitCode);
        Assert.Contains("Usage:", r.Out);
    }
}
