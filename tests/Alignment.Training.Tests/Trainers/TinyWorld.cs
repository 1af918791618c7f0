using System.Text.Json;
using Alignment.Models.Checkpoints;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Training;

namespace Alignment.Training.Tests.Trainers;

/// <summary>
/// A tiny world for trainer tests: a byte-level BPE tokenizer trained on the test vocabulary (eos &lt;|im_end|&gt;,
/// pad &lt;|endoftext|&gt;), a random 2-layer Llama over exactly that vocabulary saved as a Hugging Face folder with the
/// tokenizer files, and JSONL writers. Everything lives in a temporary folder removed on Dispose.
/// </summary>
public sealed class TinyWorld : IDisposable
{
    public static readonly string[] Colors = ["red", "blue", "green", "black", "white", "pink", "gray", "gold"];
    public static readonly string[] Animals = ["cat", "dog", "owl", "fox"];
    private static readonly string[] Specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"];

    public TinyWorld(int hidden = 48, int layers = 2, ulong seed = 5, bool tied = false)
    {
        Root = Directory.CreateTempSubdirectory("align-train-").FullName;
        var corpus = Enumerable.Range(0, 40).SelectMany(i => new[] { $"q{i} item {i}", string.Join(" ", Colors), string.Join(" ", Animals), "good bad answer yes no" });
        var trained = BpeTrainer.Train(Enumerable.Repeat(corpus, 3).SelectMany(c => c),
            new BpeTrainerOptions { VocabSize = 320, SpecialTokens = Specials, EosToken = "<|im_end|>", PadToken = "<|endoftext|>", MinFrequency = 2 });
        Tokenizer = trained.ToTokenizer();
        var config = TinyModels.Config("llama", vocab: Tokenizer.VocabSize, hidden: hidden, layers: layers, heads: 4, kvHeads: 2, intermediate: hidden * 2, tied: tied)
            with { EosTokenId = [Tokenizer.Eos!.Value.Id], BosTokenId = null, PadTokenId = Tokenizer.Pad!.Value.Id };
        Model = TinyModels.CreateFolder(Path.Combine(Root, "model"), config, seed);
        trained.Save(Model);
    }

    public string Root { get; }
    public string Model { get; }
    public Tokenizer Tokenizer { get; }

    public string Path_(string name) => Path.Combine(Root, name);

    public string WriteJsonl(string name, IEnumerable<object> rows)
    {
        string path = Path.Combine(Root, name);
        File.WriteAllLines(path, rows.Select(r => JsonSerializer.Serialize(r)));
        return path;
    }

    /// <summary>32 prompts "q{i}" with the answer "{color} {animal}": a mapping the model must memorize.</summary>
    public static IEnumerable<object> SftRows(int n = 32) =>
        Enumerable.Range(0, n).Select(i => new { prompt = $"q{i}", completion = $" {Colors[i % 8]} {Animals[i / 8 % 4]}" });

    /// <summary>Pairs "q{i}": chosen "{color} {animal}", rejected another color and animal.</summary>
    public static IEnumerable<object> PreferenceRows(int n = 32) =>
        Enumerable.Range(0, n).Select(i => new
        {
            prompt = $"q{i}",
            chosen = $" {Colors[i % 8]} {Animals[i / 8 % 4]}",
            rejected = $" {Colors[(i + 3) % 8]} {Animals[(i / 8 + 1) % 4]}",
        });

    public string NewOutput(string name) => Path.Combine(Root, name);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
    }
}
