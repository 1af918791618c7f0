using System.Diagnostics;
using System.Text.Json;
using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Tokenizers.Training;
using Alignment.Torch;
using Alignment.Torch.Distributed;
using Alignment.Training.Batching;
using Alignment.Training.Distributed;
using static Alignment.Torch.torch;

namespace Alignment.Cli.Bench;

/// <summary>`align bench ddp`'s allreduce case, run by rank 0 of two workers.</summary>
/// <param name="Bytes">Gradient bytes reduced per step (every parameter of the bench model, float32).</param>
/// <param name="Buckets">DDP buckets they fall into (25 MB cap, first bucket 1 MB).</param>
/// <param name="RawGbPerSecond">One c10d allreduce of a flat tensor of those bytes: bytes / median seconds.</param>
/// <param name="BucketedGbPerSecond">DDP's bucketed path: bytes / (median armed backward − median unarmed backward)
/// over a graph whose backward is only the gradient fill, so the difference is the bucketed allreduce with its copies.</param>
public sealed record AllreduceBench(long Bytes, int Buckets, int Repeats, double RawSeconds, double BucketedSeconds, double RawGbPerSecond,
                                    double BucketedGbPerSecond);

/// <summary>
/// `align bench ddp`: data-parallel SFT throughput on this machine, one process with 2 threads against 2 processes with
/// 1 thread each (the same global batch of 8 rows of 128–256 tokens, tiny Llama d=256/4 layers), through `align train
/// sft` itself, and the gradient allreduce's bandwidth: DDP's bucketed path against one raw c10d allreduce of the same
/// bytes, over Gloo on loopback.
/// </summary>
public static class DdpBench
{
    public const int GlobalBatch = 8, Rows = 64, Hidden = 256, Layers = 4;

    /// <summary>Writes a tokenizer + model folder and SFT data under <paramref name="dir"/>; returns the config path.</summary>
    public static string Prepare(string dir, int steps)
    {
        var rng = new SplitMix64(11);
        string[] words = Enumerable.Range(0, 400).Select(i => "w" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        string Sentence(int n) => string.Join(' ', Enumerable.Range(0, n).Select(_ => words[rng.NextInt(words.Length)]));
        var corpus = Enumerable.Range(0, 200).Select(_ => Sentence(40)).ToList();
        var trained = BpeTrainer.Train(corpus, new BpeTrainerOptions
        {
            VocabSize = 1024, SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], EosToken = "<|im_end|>", PadToken = "<|endoftext|>",
        });
        var config = TinyModels.Config("llama", vocab: trained.VocabSize, hidden: Hidden, layers: Layers, heads: 8, kvHeads: 4, intermediate: 688)
                     with { EosTokenId = [trained.VocabSize - 1], BosTokenId = null };
        string model = TinyModels.CreateFolder(Path.Combine(dir, "model"), config, 5);
        trained.Save(model);
        string data = Path.Combine(dir, "sft.jsonl");
        File.WriteAllLines(data, Enumerable.Range(0, Rows).Select(_ => JsonSerializer.Serialize(new { prompt = Sentence(20), completion = " " + Sentence(40 + rng.NextInt(40)) })));
        string path = Path.Combine(dir, "sft.json");
        File.WriteAllText(path, JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["model"] = model, ["data"] = data, ["template"] = "plain", ["max_length"] = 256, ["max_steps"] = steps, ["logging_steps"] = 1,
            ["save_steps"] = 0, ["learning_rate"] = 1e-4,
        }));
        return path;
    }

    /// <summary>The median tokens_per_second of a finished run, leaving out its first two steps (warm-up).</summary>
    public static double MedianTokensPerSecond(string runDir)
    {
        var rows = Alignment.Training.Metrics.MetricsWriter.Read(Path.Combine(runDir, "metrics.jsonl"));
        var values = rows.Skip(2).Select(r => r["tokens_per_second"] ?? double.NaN).Where(double.IsFinite).Order().ToArray();
        if (values.Length == 0) throw new InvalidOperationException($"{runDir}: no timed steps");
        return values[values.Length / 2];
    }

    /// <summary>The allreduce case in one worker of a launch (torchrun's variables set), or alone as a group of one
    /// (ALIGN_DIST_BACKEND=nccl: one GPU, which checks NCCL and the Reducer on CUDA tensors).</summary>
    public static AllreduceBench Allreduce(int repeats)
    {
        string backend = Environment.GetEnvironmentVariable(DistributedEnvironment.BackendVariable) is { Length: > 0 } b ? b : "gloo";
        var env = DistributedEnvironment.FromProcess()
                  ?? new DistributedEnvironment(0, 1, 0, "127.0.0.1", LaunchPlan.FreeLoopbackPort(), backend, TimeSpan.FromSeconds(DistributedEnvironment.DefaultTimeoutSeconds));
        using var group = ProcessGroup.Init(env.Backend, env.MasterAddr, env.MasterPort, env.Rank, env.WorldSize, env.Timeout);
        var device = env.Backend == "nccl" ? new Device(DeviceType.CUDA, env.LocalRank) : Device.CPU;
        var config = TinyModels.Config("llama", vocab: 4096, hidden: Hidden, layers: Layers, heads: 8, kvHeads: 4, intermediate: 688);
        using var g = new Generator(3);
        using var model = LlamaForCausalLM.from_config(config, g);
        model.to(device);
        var parameters = model.parameters().ToList();
        long numel = parameters.Sum(p => p.numel());
        long bytes = numel * 4;

        var raw = new List<double>();
        using (var flat = ones(new[] { numel }, device: device))
            for (int i = 0; i < repeats + 2; i++)
            {
                group.barrier();
                long t = Stopwatch.GetTimestamp();
                group.all_reduce(flat);
                if (device.type == DeviceType.CUDA) cuda.synchronize();
                if (i >= 2) raw.Add(Stopwatch.GetElapsedTime(t).TotalSeconds);
            }

        using var ddp = new DistributedDataParallel(group, parameters);
        var armed = new List<double>();
        var unarmed = new List<double>();
        for (int i = 0; i < 2 * (repeats + 2); i++)
        {
            bool arm = i % 2 == 0;
            using var scope = NewDisposeScope();
            foreach (var p in parameters) p.grad = null;
            var loss = parameters.Select(p => p.sum()).Aggregate((a, b) => a + b);
            group.barrier();
            long t = Stopwatch.GetTimestamp();
            if (arm) ddp.prepare_for_backward(loss);
            loss.backward();
            if (device.type == DeviceType.CUDA) cuda.synchronize();
            if (i >= 4) (arm ? armed : unarmed).Add(Stopwatch.GetElapsedTime(t).TotalSeconds);
        }
        double rawS = Median(raw), bucketS = Math.Max(1e-9, Median(armed) - Median(unarmed));
        return new AllreduceBench(bytes, ddp.BucketBytes.Length, repeats, rawS, bucketS, bytes / rawS / 1e9, bytes / bucketS / 1e9);
    }

    private static double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
}
