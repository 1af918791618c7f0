using System.Text.Json.Nodes;
using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Training;
using Alignment.Torch;

namespace Alignment.Cli.Tests;

// `align generate` on a tiny random model with a tokenizer trained here; greedy output is checked against argmax
// decoding written in the test with plain full forwards (no KV cache, no generator code).
public sealed class GenerateCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("align-gen-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private (string folder, Tokenizer tok) TinyChatModel()
    {
        var corpus = Enumerable.Range(0, 200).Select(i => $"The number {i} is {(i % 2 == 0 ? "even" : "odd")}. Hello world, again and again.");
        var bpe = BpeTrainer.Train(corpus, new BpeTrainerOptions
        {
            VocabSize = 300,
            SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
            EosToken = "<|im_end|>",
            PadToken = "<|endoftext|>",
        });
        string folder = Path.Combine(dir, "model");
        var config = TinyModels.Config(vocab: bpe.VocabSize) with { EosTokenId = [bpe.VocabSize - 1], BosTokenId = null };
        TinyModels.CreateFolder(folder, config, seed: 5);
        bpe.Save(folder);
        return (folder, bpe.ToTokenizer());
    }

    [Fact]
    public void Greedy_generation_matches_argmax_decoding()
    {
        var (folder, tok) = TinyChatModel();
        var r = CliRunner.Run("generate", "--model", folder, "--prompt", "The number 7 is", "--max-new-tokens", "6", "--json");
        Assert.True(r.ExitCode == 0, r.Error);
        var j = JsonNode.Parse(r.Out)!;
        var ids = j["ids"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray();

        // Independent greedy decoding: full forward each step, argmax of the last position.
        var seq = tok.Encode("The number 7 is").Select(i => (long)i).ToList();
        int eos = tok.VocabSize - 1;
        var expected = new List<long>();
        using (var model = LlamaForCausalLM.from_pretrained(folder))
        {
            model.eval();
            for (int step = 0; step < 6; step++)
            {
                using var scope = torch.NewDisposeScope();
                using var _ = torch.no_grad();
                var logits = model.forward(torch.tensor(seq.ToArray(), new long[] { 1, seq.Count })).logits;   // (1, T, V)
                long next = logits.select(1, seq.Count - 1).argmax(-1).item<long>();
                expected.Add(next);
                seq.Add(next);
                if (next == eos) break;
            }
        }
        Assert.Equal(expected, ids);
        Assert.Equal(j["logprobs"]!.AsArray().Count, ids.Length);
        Assert.Equal(tok.Decode(expected.Where(t => t != eos).Select(t => (int)t).ToArray(), skipSpecialTokens: true), j["text"]!.GetValue<string>());
    }

    [Fact]
    public void Seeded_sampling_repeats_and_chat_uses_the_template()
    {
        var (folder, _) = TinyChatModel();
        string[] args = { "generate", "--model", folder, "--prompt", "Hello", "--chat", "--template", "chatml", "--temperature", "1.5", "--seed", "11", "--max-new-tokens", "8", "--json" };
        var a = CliRunner.Run(args);
        var b = CliRunner.Run(args);
        Assert.True(a.ExitCode == 0, a.Error);
        Assert.Equal(JsonNode.Parse(a.Out)!["ids"]!.ToJsonString(), JsonNode.Parse(b.Out)!["ids"]!.ToJsonString());
        Assert.Equal("chatml", JsonNode.Parse(a.Out)!["template"]!.GetValue<string>());
        // "<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n" is longer than the bare prompt.
        Assert.True(JsonNode.Parse(a.Out)!["prompt_tokens"]!.GetValue<int>() > 5);
    }

    [Fact]
    public void Bad_options_give_clear_errors()
    {
        var (folder, _) = TinyChatModel();
        var r = CliRunner.Run("generate", "--model", folder, "--prompt", "x", "--temperature", "-1");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--temperature", r.Error);
        r = CliRunner.Run("generate", "--model", folder, "--prompt", "x", "--chat", "--template", "nonsense");
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("chatml", r.Error);   // lists the known templates
        r = CliRunner.Run("generate", "--model", Path.Combine(dir, "missing"), "--prompt", "x");
        Assert.Equal(2, r.ExitCode);
    }
}
