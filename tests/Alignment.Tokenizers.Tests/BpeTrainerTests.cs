using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Tokenizers.Bench;
using Alignment.Tokenizers.Training;

namespace Alignment.Tokenizers.Tests;

public class BpeTrainerTests
{
    private static readonly string[] Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    [Fact]
    public void Learns_the_textbook_merges_with_ties_broken_by_the_older_pair()
    {
        // "aaabdaaabac": aa occurs 4 times and is merged first; then (aa,a) and (a,b) both occur twice
        // and the tie goes to (a,b), the pair of older tokens; then (aa,ab) twice; then every pair
        // occurs once, below MinFrequency 2.
        var trained = BpeTrainer.Train(["aaabdaaabac"], new BpeTrainerOptions { VocabSize = 300 });
        Assert.Equal([("a", "a"), ("a", "b"), ("aa", "ab")], trained.Merges);
        Assert.Equal(["aa", "ab", "aaab"], trained.Tokens.Skip(256));
        Assert.Equal("a", trained.Tokens['a']); // byte tokens: id = byte value
        Assert.Equal("Ġ", trained.Tokens[' ']);

        var tokenizer = trained.ToTokenizer();
        Assert.Equal([258, 'd', 258, 'a', 'c'], tokenizer.Encode("aaabdaaabac"));
    }

    [Fact]
    public void Stops_at_the_vocabulary_size_and_puts_special_tokens_last()
    {
        var trained = BpeTrainer.Train(Corpus(), new BpeTrainerOptions { VocabSize = 600, SpecialTokens = Specials, EosToken = "<|im_end|>" });
        Assert.Equal(600, trained.VocabSize);
        var tokenizer = trained.ToTokenizer();
        Assert.Equal(600, tokenizer.VocabSize);
        Assert.Equal([597], tokenizer.Encode("<|endoftext|>"));
        Assert.Equal([598, 599], tokenizer.Encode("<|im_start|><|im_end|>"));
        Assert.Equal(new SpecialToken("<|im_end|>", 599), tokenizer.Eos);
        Assert.True(tokenizer.IsSpecial(597));
    }

    [Fact]
    public void Merges_never_cross_special_tokens_or_split_pieces()
    {
        var trained = BpeTrainer.Train(
            Enumerable.Repeat("xy<|endoftext|>zw hello", 50),
            new BpeTrainerOptions { VocabSize = 400, SpecialTokens = Specials });
        Assert.DoesNotContain(trained.Tokens, t => t.Contains('<') && t.Length > 1);
        Assert.DoesNotContain(trained.Tokens, t => t.Contains("yz") || t.Contains("wĠ"));
        Assert.Contains("Ġhello", trained.Tokens);
    }

    [Fact]
    public void Training_is_deterministic()
    {
        var options = new BpeTrainerOptions { VocabSize = 800, SpecialTokens = Specials };
        Assert.Equal(BpeTrainer.Train(Corpus(), options).ToTokenizerJson(), BpeTrainer.Train(Corpus().Reverse(), options).ToTokenizerJson());
    }

    [Fact]
    public void Written_tokenizer_has_llama3s_schema()
    {
        var ours = JsonNode.Parse(BpeTrainer.Train(Corpus(), new BpeTrainerOptions { VocabSize = 500, SpecialTokens = Specials }).ToTokenizerJson())!;
        var llama3 = JsonNode.Parse(File.ReadAllText(Path.Combine(ReferenceFixture.ModelDir("llama3"), "tokenizer.json")))!;

        Assert.Equal(Keys(llama3), Keys(ours));
        Assert.Equal(Keys(llama3["model"]!), Keys(ours["model"]!));
        Assert.Equal(Keys(llama3["added_tokens"]![0]!), Keys(ours["added_tokens"]![0]!));
        // Same pipeline as Llama 3 (the default split regex is Llama 3's).
        foreach (var part in new[] { "normalizer", "pre_tokenizer", "post_processor", "decoder" })
            Assert.True(JsonNode.DeepEquals(llama3[part], ours[part]), $"{part}: {ours[part]?.ToJsonString()} vs Llama 3's {llama3[part]?.ToJsonString()}");
        Assert.Equal(JsonValueKind.Array, ours["model"]!["merges"]![0]!.GetValueKind());
    }

    [Fact]
    public void Hugging_faces_tokenizer_loads_the_written_file_and_agrees_token_for_token()
    {
        var trained = BpeTrainer.Train(Corpus(), new BpeTrainerOptions { VocabSize = 1000, SpecialTokens = Specials });
        var tokenizer = trained.ToTokenizer();
        var strings = ReferenceFixture.Parity("qwen3").Select(e => e["text"]!.GetValue<string>()).ToArray();

        string dir = Directory.CreateTempSubdirectory("trained-bpe-").FullName;
        try
        {
            trained.Save(dir);
            Assert.Equal(trained.ToTokenizerJson(), File.ReadAllText(Path.Combine(dir, "tokenizer.json")));
            string stringsFile = Path.Combine(dir, "strings.json");
            File.WriteAllText(stringsFile, JsonSerializer.Serialize(strings));
            var hf = RunNode(Path.Combine(ReferenceFixture.CacheDir, "encode.mjs"), Path.Combine(dir, "tokenizer.json"), stringsFile);

            var reloaded = Tokenizer.FromFile(dir);
            for (int i = 0; i < strings.Length; i++)
            {
                var expected = ReferenceFixture.Ids(hf["ids"]![i]);
                Assert.Equal(expected, tokenizer.Encode(strings[i]));
                Assert.Equal(expected, reloaded.Encode(strings[i]));
                Assert.Equal(hf["decoded"]![i]!.GetValue<string>(), reloaded.Decode(expected));
                Assert.Equal(strings[i], reloaded.Decode(expected)); // byte-level: lossless
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Rejects_a_vocabulary_too_small_for_bytes_and_special_tokens()
    {
        var error = Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["x"], new BpeTrainerOptions { VocabSize = 258, SpecialTokens = Specials }));
        Assert.Contains("259", error.Message);
        Assert.Throws<ArgumentException>(() => BpeTrainer.Train(["x"], new BpeTrainerOptions { VocabSize = 300, EosToken = "</s>" }));
    }

    private static IEnumerable<string> Corpus() =>
        TokenizerBench.SampleText(60_000).Split('\n')
            .Concat(["机器学习是人工智能的一个分支。", "Привет, мир! 😀 emoji 🤗", "def f(x):\n\treturn x * 2\n", "<|im_start|>user\nhi<|im_end|>"]);

    private static SortedSet<string> Keys(JsonNode node) => new(node.AsObject().Select(p => p.Key), StringComparer.Ordinal);

    private static JsonNode RunNode(params string[] args)
    {
        var start = new ProcessStartInfo("node") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new Xunit.Sdk.XunitException($"node is needed to run Hugging Face's tokenizer ({e.Message}); run {ReferenceFixture.SetupScript}");
        }
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"node {string.Join(" ", args)} failed: {stderr.Result}");
        return JsonNode.Parse(stdout.Result)!;
    }
}
