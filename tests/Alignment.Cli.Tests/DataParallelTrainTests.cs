using System.Text.Json;
using Alignment.Models.Checkpoints;
using Alignment.Tokenizers.Training;
using Alignment.Torch.IO;
using Alignment.Training.Metrics;
using static Alignment.Torch.torch;

namespace Alignment.Cli.Tests;

// `align train --nproc 2` over Gloo on loopback, real worker processes. The acceptance: 2 processes × batch b end with
// the same weights and log the same loss and gradient norm as 1 process × batch 2b, step for step (float64, so the only
// differences are summation order: tolerance 1e-9 absolute on every weight).
[Collection(DataParallelCollection.Name)]
public sealed class DataParallelTrainTests : IDisposable
{
    private const double Tolerance = 1e-9;
    private readonly string root = Directory.CreateTempSubdirectory("align-ddp-").FullName;
    private readonly string model;

    public DataParallelTrainTests()
    {
        var corpus = Enumerable.Range(0, 30).SelectMany(i => new[] { $"q{i} red blue cat dog good bad", "green owl fox" });
        var trained = BpeTrainer.Train(corpus.Concat(corpus),
            new BpeTrainerOptions { VocabSize = 300, SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], EosToken = "<|im_end|>", PadToken = "<|endoftext|>" });
        var config = TinyModels.Config("llama", vocab: trained.VocabSize, hidden: 32, layers: 2) with { EosTokenId = [trained.VocabSize - 1], BosTokenId = null };
        model = TinyModels.CreateFolder(Path.Combine(root, "model"), config, 3);
        trained.Save(model);
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private string Write(string name, IEnumerable<object> rows)
    {
        string path = Path.Combine(root, name);
        File.WriteAllLines(path, rows.Select(r => JsonSerializer.Serialize(r)));
        return path;
    }

    // Rows of different lengths, so the shards pad differently from the single process's batches.
    private string SftData() => Write("sft.jsonl", Enumerable.Range(0, 10).Select(i => new
    {
        prompt = $"q{i}" + string.Concat(Enumerable.Repeat(" red", i % 4)),
        completion = i % 2 == 0 ? " blue cat" : " green owl fox dog",
    }));

    private string PairData() => Write("pairs.jsonl", Enumerable.Range(0, 10).Select(i => new
    {
        prompt = $"q{i}" + string.Concat(Enumerable.Repeat(" blue", i % 3)),
        chosen = i % 2 == 0 ? " good cat" : " good owl fox",
        rejected = " bad dog" + string.Concat(Enumerable.Repeat(" bad", i % 4)),
    }));

    private string Config(string name, object options)
    {
        string path = Path.Combine(root, name);
        File.WriteAllText(path, JsonSerializer.Serialize(options));
        return path;
    }

    private static Dictionary<string, double[]> Weights(string folder)
    {
        var (tensors, _) = Safetensors.Load(Path.Combine(folder, "model.safetensors"), float64);
        var result = tensors.ToDictionary(kv => kv.Key, kv => kv.Value.data<double>().ToArray());
        foreach (var t in tensors.Values) t.Dispose();
        return result;
    }

    private static void AssertSameRun(string single, string parallel, string[] metrics)
    {
        var a = Weights(single);
        var b = Weights(parallel);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        double worst = a.Max(kv => kv.Value.Zip(b[kv.Key], (x, y) => Math.Abs(x - y)).Max());
        Assert.True(worst < Tolerance, $"largest weight difference {worst:G3}");
        var ra = MetricsWriter.Read(Path.Combine(single, "metrics.jsonl"));
        var rb = MetricsWriter.Read(Path.Combine(parallel, "metrics.jsonl"));
        Assert.Equal(ra.Count, rb.Count);
        for (int i = 0; i < ra.Count; i++)
            foreach (string key in metrics)
                Assert.True(Math.Abs(ra[i][key]!.Value - rb[i][key]!.Value) < Tolerance * Math.Max(1, Math.Abs(ra[i][key]!.Value)),
                            $"step {i + 1} {key}: {ra[i][key]} vs {rb[i][key]}");
    }

    private void AssertTrained(string output)
    {
        var before = Weights(model);
        var after = Weights(output);
        Assert.True(before.Max(kv => kv.Value.Zip(after[kv.Key], (x, y) => Math.Abs(x - y)).Max()) > 1e-3, "training did not move the weights");
    }

    [Fact]
    public void Sft_two_processes_with_batch_b_match_one_process_with_batch_2b()
    {
        // 10 rows, global batch 4: steps of 4, 4, 2 rows (the last shards are 1 and 1), then a new epoch.
        string config = Config("sft.json", new
        {
            model, data = SftData(), template = "plain", max_length = 24, dtype = "float64", max_steps = 4, logging_steps = 1,
            learning_rate = 1e-2, max_grad_norm = 0, save_steps = 0,
        });
        string single = Path.Combine(root, "sft-1"), parallel = Path.Combine(root, "sft-2");
        var r1 = CliRunner.Run("train", "sft", "--config", config, "--set", "batch_size=4", "--output", single);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        var r2 = CliRunner.Run("train", "sft", "--config", config, "--set", "batch_size=2", "--nproc", "2", "--output", parallel);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        Assert.Contains("sft: trained 4 of 4 steps", r2.Out);
        Assert.Contains("world size 2", r2.Error);
        AssertTrained(single);
        AssertSameRun(single, parallel, ["loss", "grad_norm", "epoch"]);
        var state = JsonDocument.Parse(File.ReadAllText(Path.Combine(parallel, "checkpoints", "step-4", "trainer_state.json"))).RootElement;
        Assert.Equal(2, state.GetProperty("world_size").GetInt32());
        Assert.Equal(2, state.GetProperty("rank_torch_rng_states").GetArrayLength());

        // Resuming with another number of processes is refused, naming both.
        var r3 = CliRunner.Run("train", "sft", "--config", config, "--set", "batch_size=2", "--set", "resume_from=latest", "--output", parallel);
        Assert.Equal(2, r3.ExitCode);
        Assert.Contains("written by a run of 2 process(es) and this run has 1", r3.Error);
    }

    [Fact]
    public void Dpo_two_processes_with_batch_b_match_one_process_with_batch_2b()
    {
        string config = Config("dpo.json", new
        {
            model, data = PairData(), template = "plain", max_length = 24, dtype = "float64", max_steps = 3, logging_steps = 1,
            learning_rate = 1e-2, max_grad_norm = 0, save_steps = 0, beta = 0.5,
        });
        string single = Path.Combine(root, "dpo-1"), parallel = Path.Combine(root, "dpo-2");
        var r1 = CliRunner.Run("train", "dpo", "--config", config, "--set", "batch_size=4", "--output", single);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        var r2 = CliRunner.Run("train", "dpo", "--config", config, "--set", "batch_size=2", "--nproc", "2", "--output", parallel);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        Assert.Contains("a shard on each of 2 processes", r2.Out);
        AssertTrained(single);
        AssertSameRun(single, parallel, ["loss", "grad_norm", "rewards/chosen", "rewards/margins", "logps/rejected"]);
        using var f1 = SafetensorsFile.Open(Path.Combine(single, "ref_logps.safetensors"));
        using var f2 = SafetensorsFile.Open(Path.Combine(parallel, "ref_logps.safetensors"));
        using var scope = NewDisposeScope();
        var (a, b) = (f1.Load("first", float64).data<double>().ToArray(), f2.Load("first", float64).data<double>().ToArray());
        Assert.Equal(a.Length, b.Length);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i], b[i], 10);
    }

    [Fact]
    public void Launch_options_that_cannot_apply_are_refused()
    {
        string config = Config("kto.json", new { model, data = SftData() });
        var r = CliRunner.Run("train", "kto", "--config", config, "--nproc", "2", "--output", Path.Combine(root, "kto"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("stage 'kto' does not run data-parallel", r.Error);
        r = CliRunner.Run("train", "sft", "--config", config, "--master-port", "1234", "--output", Path.Combine(root, "x"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("only apply to a data-parallel launch", r.Error);
        r = CliRunner.Run("train", "sft", "--config", config, "--nnodes", "2", "--node-rank", "0", "--output", Path.Combine(root, "x"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("--nnodes > 1 needs --master-addr", r.Error);
        Assert.False(Directory.Exists(Path.Combine(root, "x")));
    }
}

/// <summary>Multi-process training tests start several workers each: they run alone, one after another.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class DataParallelCollection
{
    public const string Name = "data parallel (sequential)";
}
