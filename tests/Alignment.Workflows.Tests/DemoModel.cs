using Alignment.Models.Checkpoints;
using Alignment.Tokenizers.Training;

namespace Alignment.Workflows.Tests;

/// <summary>Random tiny chat models (Llama + ChatML-ready byte-level BPE) for workflow tests.</summary>
public static class DemoModel
{
    public static string DemoFolder => Path.Combine(TestHome.RepoRoot, "data", "workflow-demo");

    /// <summary>The tokenizer is trained on the shipped workflow demo's sentences plus short sums.</summary>
    public static string Create(string folder, ulong seed = 3) =>
        FromCorpus(folder, File.ReadAllLines(Path.Combine(DemoFolder, "sft.jsonl"))
            .Concat(File.ReadAllLines(Path.Combine(DemoFolder, "prompts.jsonl")))
            .Concat(Enumerable.Range(0, 40).Select(i => $"What is {i % 10} plus {i / 10}? {i % 10} plus {i / 10} is {i % 10 + i / 10}.")), seed);

    /// <summary>The tokenizer (320 entries, eos &lt;|im_end|&gt;, pad &lt;|endoftext|&gt;) is trained on <paramref name="corpus"/>.</summary>
    public static string FromCorpus(string folder, IEnumerable<string> corpus, ulong seed = 3)
    {
        var bpe = BpeTrainer.Train(corpus, new BpeTrainerOptions
        {
            VocabSize = 320,
            SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"],
            EosToken = "<|im_end|>",
            PadToken = "<|endoftext|>",
        });
        var config = TinyModels.Config(vocab: bpe.VocabSize) with { EosTokenId = [bpe.VocabSize - 1], BosTokenId = null };
        TinyModels.CreateFolder(folder, config, seed);
        bpe.Save(folder);
        return folder;
    }
}
