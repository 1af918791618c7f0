using System.Text.Json.Nodes;

namespace Alignment.Cli.Tests;

// `align tokenize` against Hugging Face's ids for the real Qwen 3 tokenizer (from the fixture that .ci/setup builds
// with Hugging Face's JS tokenizer: tests/Alignment.Tokenizers.Tests/fixtures/setup.sh).
public sealed class TokenizeCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("align-tok-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private static string CacheDir =>
        Path.Combine(Environment.GetEnvironmentVariable("ALIGN_TEST_CACHE") is { Length: > 0 } c ? c
                     : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "alignment-tests"), "tokenizers");

    private static JsonArray Parity(string tokenizer)
    {
        string file = Path.Combine(CacheDir, "fixture.json");
        if (!File.Exists(file)) throw new Xunit.Sdk.XunitException($"{file} is missing: run `bash .ci/setup` (it builds the tokenizer fixtures)");
        return JsonNode.Parse(File.ReadAllText(file))!["parity"]![tokenizer]!.AsArray();
    }

    [Fact]
    public void Encodes_and_decodes_like_hugging_face()
    {
        var cases = Parity("qwen3").ToList();
        string input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl"), back = Path.Combine(dir, "back.jsonl");
        File.WriteAllLines(input, cases.Select(c => new JsonObject { ["text"] = c!["text"]!.GetValue<string>() }.ToJsonString()));
        string model = Path.Combine(CacheDir, "models", "qwen3");

        var r = CliRunner.Run("tokenize", "--tokenizer", model, "--input", input, "--output", output);
        Assert.True(r.ExitCode == 0, r.Error);
        var lines = File.ReadAllLines(output);
        Assert.Equal(cases.Count, lines.Length);
        for (int i = 0; i < cases.Count; i++)
            Assert.Equal(cases[i]!["ids"]!.ToJsonString(), JsonNode.Parse(lines[i])!["ids"]!.ToJsonString());

        r = CliRunner.Run("tokenize", "--tokenizer", model, "--input", output, "--output", back, "--decode");
        Assert.True(r.ExitCode == 0, r.Error);
        var decoded = File.ReadAllLines(back);
        for (int i = 0; i < cases.Count; i++)
            Assert.Equal(cases[i]!["decoded"]!.GetValue<string>(), JsonNode.Parse(decoded[i])!["text"]!.GetValue<string>());
    }

    [Fact]
    public void Bad_lines_name_the_file_and_line_and_write_nothing()
    {
        string model = Path.Combine(CacheDir, "models", "qwen3");
        if (!Directory.Exists(model)) throw new Xunit.Sdk.XunitException($"{model} is missing: run `bash .ci/setup`");
        string input = Path.Combine(dir, "in.jsonl"), output = Path.Combine(dir, "out.jsonl");
        File.WriteAllLines(input, new[] { "{\"text\":\"ok\"}", "{\"txt\":\"typo\"}" });
        var r = CliRunner.Run("tokenize", "--tokenizer", model, "--input", input, "--output", output);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("in.jsonl:2: field \"text\" must be a string", r.Error);
        Assert.False(File.Exists(output));

        File.WriteAllLines(input, new[] { "{\"ids\":[1, 99999999]}" });
        r = CliRunner.Run("tokenize", "--tokenizer", model, "--input", input, "--output", output, "--decode");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("in.jsonl:1:", r.Error);
        Assert.Contains("99999999", r.Error);
        Assert.False(File.Exists(output));

        r = CliRunner.Run("tokenize", "--tokenizer", Path.Combine(dir, "nope"), "--input", input, "--output", output);
        Assert.Equal(2, r.ExitCode);
    }

    [Fact]
    public void Bench_tokenizer_prints_json_with_throughput()
    {
        string text = Path.Combine(dir, "t.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog. ", 2000)));
        var r = CliRunner.Run("bench", "tokenizer", "--text", text, "--seconds", "0.1", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var j = JsonNode.Parse(r.Out)!;
        Assert.Equal(90000, j["bytes"]!.GetValue<long>());
        Assert.True(j["mb_per_second"]!.GetValue<double>() > 0);
        Assert.True(j["tokens"]!.GetValue<long>() > 0);
        // The trained byte-level BPE loads on Microsoft.ML.Tokenizers; our own BPE is timed on the same text, same tokens.
        Assert.Equal("LibraryByteLevelBpe", j["path"]!.GetValue<string>());
        Assert.Equal("OwnBpe", j["own"]!["path"]!.GetValue<string>());
        Assert.Equal(j["tokens"]!.GetValue<long>(), j["own"]!["tokens"]!.GetValue<long>());
        Assert.True(j["own"]!["mb_per_second"]!.GetValue<double>() > 0);
    }

    [Fact]
    public void Bench_tokenizer_times_the_library_model_and_our_own_bpe_on_a_folder_with_both()
    {
        string text = Path.Combine(dir, "t.txt");
        File.WriteAllText(text, string.Concat(Enumerable.Repeat("The quick brown fox jumps over the lazy dog.\n", 200)));
        // Meta's Llama 2 folder: tokenizer.model (LlamaTokenizer) and its tokenizer.json (our own BPE), same tokens.
        var r = CliRunner.Run("bench", "tokenizer", "--tokenizer", Path.Combine(CacheDir, "models", "llama2-spm"), "--text", text, "--seconds", "0.1", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var j = JsonNode.Parse(r.Out)!;
        Assert.Equal("LibraryLlama", j["path"]!.GetValue<string>());
        Assert.Equal("OwnBpe", j["own"]!["path"]!.GetValue<string>());
        Assert.Equal(j["tokens"]!.GetValue<long>(), j["own"]!["tokens"]!.GetValue<long>());

        // A tiktoken file has no tokenizer.json for our own BPE to read: the library's model alone.
        r = CliRunner.Run("bench", "tokenizer", "--tokenizer", Path.Combine(CacheDir, "models", "cl100k"), "--text", text, "--seconds", "0.1", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        j = JsonNode.Parse(r.Out)!;
        Assert.Equal("LibraryTiktoken", j["path"]!.GetValue<string>());
        Assert.Null(j["own"]);
        // tiktoken's cl100k_base encodes each line as 10 tokens: The, " quick", " brown", " fox", " jumps", " over", " the",
        // " lazy", " dog", ".\n"; 2000 for the 200 lines (tiktoken 1.0.22 on the whole text gives 2000 too).
        Assert.Equal(2000, j["tokens"]!.GetValue<long>());
    }
}
