using System.Text.Json;
using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;

namespace Alignment.Models.Tests;

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LiveTensorCounting
{
    public const string Name = "live tensor counting";
}

/// <summary>The parity fixtures (Fixtures/parity, made by reference/make_fixtures.py).</summary>
internal static class Fixtures
{
    public static readonly string Root = Path.Combine(AppContext.BaseDirectory, "Fixtures", "parity");

    public static readonly string[] Models = ["llama3_rope", "llama_gqa_bias", "mistral", "qwen2_tied", "qwen3"];

    private static readonly Lazy<JsonElement> expected = new(() =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(Root, "expected.json"))).RootElement);

    public static string Folder(string model) => Path.Combine(Root, model);

    public static long[][] Sequences =>
        expected.Value.GetProperty("sequences").EnumerateArray().Select(s => s.EnumerateArray().Select(x => x.GetInt64()).ToArray()).ToArray();

    /// <summary>Reference log-probs per sequence: null first, then one per later token.</summary>
    public static double?[][] LogProbs(string model) =>
        expected.Value.GetProperty("models").GetProperty(model).GetProperty("logprobs").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.Null ? (double?)null : x.GetDouble()).ToArray()).ToArray();

    /// <summary>Reference final hidden states (after the last norm) of llama3_rope, per sequence (T, hidden).</summary>
    public static double[][][] FinalHidden() =>
        expected.Value.GetProperty("models").GetProperty("llama3_rope").GetProperty("final_hidden").EnumerateArray()
            .Select(s => s.EnumerateArray().Select(row => row.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray()).ToArray();
}

/// <summary>A temporary folder deleted on dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "align-models-" + Guid.NewGuid().ToString("N"));

    public string Sub(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        if (Directory.Exists(Path)) Directory.Delete(Path, recursive: true);
    }
}

internal static class Tiny
{
    /// <summary>A tiny random model with a wide weight scale (initializer_range 0.5), so next-token distributions are
    /// peaked and greedy choices are far from ties.</summary>
    public static LlamaForCausalLM Model(string type = "llama", ulong seed = 1, bool tied = false, int kvHeads = 2,
                                         ScalarType dtype = ScalarType.Float32, int vocab = 64)
    {
        var config = TinyModels.Config(type, vocab: vocab, tied: tied, kvHeads: kvHeads) with { InitializerRange = 0.5 };
        using var g = new Generator(seed);
        return LlamaForCausalLM.from_config(config, g, dtype);
    }

    public static double MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.to(float64).sub(b.to(float64)).abs().max().item<double>();
    }
}
