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

    private static void AssertSameWeights(string single, string parallel, double tolerance = Tolerance)
    {
        var a = Weights(single);
        var b = Weights(parallel);
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        double worst = a.Max(kv => kv.Value.Zip(b[kv.Key], (x, y) => Math.Abs(x - y)).Max());
        Console.WriteLine($"{Path.GetFileName(parallel)}: largest weight difference {worst:G3}");
        Assert.True(worst < tolerance, $"largest weight difference {worst:G3}");
    }

    private static void AssertSameRun(string single, string parallel, string[] metrics, double metricTolerance = Tolerance, double weightTolerance = Tolerance)
    {
        AssertSameWeights(single, parallel, weightTolerance);
        var ra = MetricsWriter.Read(Path.Combine(single, "metrics.jsonl"));
        var rb = MetricsWriter.Read(Path.Combine(parallel, "metrics.jsonl"));
        Assert.Equal(ra.Count, rb.Count);
        for (int i = 0; i < ra.Count; i++)
            foreach (string key in metrics)
                Assert.True(Math.Abs(ra[i][key]!.Value - rb[i][key]!.Value) < metricTolerance * Math.Max(1, Math.Abs(ra[i][key]!.Value)),
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
    public void Kto_two_processes_with_batch_b_match_one_process_with_batch_2b()
    {
        // The KL estimate z is the mean over the whole micro-batch, so it is summed over the ranks' shares of it; 10 rows,
        // global batch 4: the third step's batch has 2 rows (one per rank).
        string data = Write("kto.jsonl", Enumerable.Range(0, 10).Select(i => new
        {
            prompt = $"q{i}" + string.Concat(Enumerable.Repeat(" blue", i % 3)),
            completion = i % 4 != 0 ? " good cat" + string.Concat(Enumerable.Repeat(" owl", i % 3)) : " bad dog bad",
            label = i % 4 != 0,
        }));
        string config = Config("kto.json", new
        {
            model, data, template = "plain", max_length = 24, dtype = "float64", max_steps = 4, logging_steps = 1,
            learning_rate = 1e-2, max_grad_norm = 0, save_steps = 0, beta = 0.5,
        });
        string single = Path.Combine(root, "kto-1"), parallel = Path.Combine(root, "kto-2");
        var r1 = CliRunner.Run("train", "kto", "--config", config, "--set", "batch_size=4", "--output", single);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        var r2 = CliRunner.Run("train", "kto", "--config", config, "--set", "batch_size=2", "--nproc", "2", "--output", parallel);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        AssertTrained(single);
        var kl = MetricsWriter.Read(Path.Combine(single, "metrics.jsonl")).Select(r => r["kl"]!.Value).ToList();
        Assert.True(kl.Skip(1).Any(z => z > 1e-6), "the KL estimate stayed 0, so the test would not see a per-rank estimate");
        AssertSameRun(single, parallel, ["loss", "grad_norm", "kl"]);
    }

    // Rule rewards on the decoded length, so the samples of one prompt score differently.
    private string RlConfig(string name, object extra)
    {
        string rules = Path.Combine(root, "length.json");
        File.WriteAllText(rules, JsonSerializer.Serialize(new
        {
            rules = new object[] { new { name = "some", minLength = 6, score = 1 }, new { name = "more", minLength = 14, score = 1 }, new { name = "cat", contains = "cat", score = 2 } },
        }));
        string data = Write("prompts.jsonl", Enumerable.Range(0, 8).Select(i => new { prompt = $"q{i}" + string.Concat(Enumerable.Repeat(" red", i % 3)) }));
        var options = JsonSerializer.SerializeToNode(new
        {
            model, data, template = "plain", dtype = "float64", max_steps = 3, logging_steps = 1, learning_rate = 1e-2, lr_scheduler = "constant",
            max_grad_norm = 0, save_steps = 0, num_generations = 4, max_completion_length = 6, max_prompt_length = 16, num_iterations = 2,
            reward_funcs = $"rules:{rules}", sampling_per_prompt = true, beta = 0.1,
        })!.AsObject();
        foreach (var kv in JsonSerializer.SerializeToNode(extra)!.AsObject().ToList()) options[kv.Key] = kv.Value!.DeepClone();
        return Config(name, options);
    }

    // Online RL: the sampling log-probs are float32 by design (the sampler's processed distribution), so the logged
    // metrics agree to float32 rounding (1e-5 relative; a wrong share is off by far more); the weights still within 1e-9.
    private const double FloatTolerance = 1e-5;

    // Online RL: sampling_per_prompt draws each prompt's completions from its own seeded generator, so the samples are the
    // same however the prompts are shared out, and the runs must agree exactly (with one generator per batch or per rank
    // they could not). Two minibatch updates per pass: each rank updates on its rows of the shared shuffle's minibatch.
    // With sft_alpha the NLL term is over the whole generation batch's selected tokens on every rank, while the surrogate
    // of the other aggregations is scaled to each rank's share of its minibatch: the two must not share one scale.
    [Theory]
    [InlineData("grpo", "dapo", "batch", 0.0)]
    [InlineData("grpo", "bnpo", "group", 0.0)]
    [InlineData("grpo", "grpo", "group", 0.5)]
    [InlineData("rloo", "grpo", "group", 0.0)]
    public void Online_rl_two_processes_with_batch_b_match_one_process_with_batch_2b(string stage, string lossType, string scale, double sftAlpha)
    {
        object extra = stage == "grpo" ? new { loss_type = lossType, scale_rewards = scale, sft_alpha = sftAlpha } : new { loss_type = lossType, normalize_advantages = true };
        string config = RlConfig($"{stage}-{lossType}.json", extra);
        string single = Path.Combine(root, $"{stage}-{lossType}-1"), parallel = Path.Combine(root, $"{stage}-{lossType}-2");
        var r1 = CliRunner.Run("train", stage, "--config", config, "--set", "batch_size=4", "--set", "mini_batch_size=8", "--output", single);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        var r2 = CliRunner.Run("train", stage, "--config", config, "--set", "batch_size=2", "--set", "mini_batch_size=4", "--nproc", "2", "--output", parallel);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        AssertTrained(single);
        var rewards = MetricsWriter.Read(Path.Combine(single, "metrics.jsonl")).Select(r => r["reward_std"]!.Value).ToList();
        Assert.True(rewards.All(x => x > 0), "a batch's rewards did not vary: " + string.Join(" ", rewards));
        AssertSameRun(single, parallel, ["loss", "grad_norm", "reward", "reward_std", "frac_reward_zero_std", "completions/mean_length", "entropy",
                                         "clip_ratio/region_mean", .. sftAlpha > 0 ? new[] { "nll_loss" } : []], FloatTolerance);
    }

    // Online DPO: each rank ranks the pairs of its prompts; the loss is the mean over the whole batch's untied pairs, so each
    // rank's summed pair losses are divided by the untied pairs of every rank. sampling_per_prompt, as the online RL test.
    [Fact]
    public void Online_dpo_two_processes_with_batch_b_match_one_process_with_batch_2b_and_resume_exactly()
    {
        // A reward graded by length (a point per 2 characters up to 16), so few pairs tie.
        string graded = Path.Combine(root, "graded.json");
        File.WriteAllText(graded, JsonSerializer.Serialize(new { rules = Enumerable.Range(1, 8).Select(k => new { name = $"len{2 * k}", minLength = 2 * k, score = 1 }) }));
        string config = RlConfig("online-dpo.json", new { reward_funcs = $"rules:{graded}", learning_rate = 2e-3 });
        var options = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        foreach (string grpoOnly in new[] { "num_generations", "max_completion_length", "max_prompt_length", "num_iterations" }) options.Remove(grpoOnly);
        options["max_new_tokens"] = 6;
        options["max_length"] = 22;
        options["save_steps"] = 1;
        options["save_total_limit"] = 5;
        File.WriteAllText(config, options.ToJsonString());
        string single = Path.Combine(root, "odpo-1"), parallel = Path.Combine(root, "odpo-2"), resumed = Path.Combine(root, "odpo-resumed");
        var r1 = CliRunner.Run("train", "online-dpo", "--config", config, "--set", "batch_size=4", "--output", single);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        var r2 = CliRunner.Run("train", "online-dpo", "--config", config, "--set", "batch_size=2", "--nproc", "2", "--output", parallel);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        AssertTrained(single);
        var tied = MetricsWriter.Read(Path.Combine(single, "metrics.jsonl")).Select(r => r["frac_tied_pairs"]!.Value).ToList();
        Assert.True(tied.All(x => x < 1), "every pair tied in a step, so its loss would be 0: " + string.Join(" ", tied));
        AssertSameRun(single, parallel, ["loss", "grad_norm", "objective/scores", "objective/kl", "rewards/margins", "rewards/accuracies", "frac_tied_pairs",
                                         "completions/mean_length", "val/contain_eos_token", "rewards/graded/std"], FloatTolerance);

        // Resumed after step 1 with the same number of processes: every rank's generator and the batch position come back.
        string step1 = Path.Combine(parallel, "checkpoints", "step-1");
        var r3 = CliRunner.Run("train", "online-dpo", "--config", config, "--set", "batch_size=2", "--set", $"resume_from={step1}", "--nproc", "2",
                               "--output", resumed);
        Assert.True(r3.ExitCode == 0, r3.Error + r3.Out);
        AssertSameWeights(parallel, resumed, Tolerance);

        // Another number of processes is refused even when allowed, saying why.
        var r4 = CliRunner.Run("train", "online-dpo", "--config", config, "--set", "batch_size=2", "--set", $"resume_from={step1}",
                               "--set", "allow_world_size_change=true", "--output", Path.Combine(root, "odpo-other"));
        Assert.Equal(2, r4.ExitCode);
        Assert.Contains("allow_world_size_change does not apply to 'online-dpo'", r4.Error);
        Assert.Contains("cannot be split over or merged", r4.Error);
    }

    // UPFT: every rank samples the whole data set in batches of the global batch, then trains SFT's sharded loop; resumed at
    // one process (allow_world_size_change) it must sample the same examples (the checkpoint keeps the sampling batch).
    // 10 prompts, global batch 4: the epoch's batches hold 4, 4 and 2 rows, so the 3 steps stay in the checkpoint's epoch.
    [Fact]
    public void Upft_two_processes_with_batch_b_match_one_process_with_batch_2b_and_resume_at_one_process()
    {
        string data = Write("upft.jsonl", Enumerable.Range(0, 10).Select(i => new { prompt = $"q{i}" + string.Concat(Enumerable.Repeat(" red", i % 3)) }));
        string config = Config("upft.json", new
        {
            model, data, template = "plain", dtype = "float64", max_steps = 3, logging_steps = 1, learning_rate = 1e-2, max_grad_norm = 0,
            save_steps = 1, save_total_limit = 5, max_length = 24, max_prompt_length = 12, prefix_length = 4, max_new_tokens = 8,
            full_answer_ratio = 0.25, prefix_instruction = "", temperature = 1.0,
        });
        string single = Path.Combine(root, "upft-1"), parallel = Path.Combine(root, "upft-2"), resumed = Path.Combine(root, "upft-resumed");
        var r1 = CliRunner.Run("train", "upft", "--config", config, "--set", "batch_size=4", "--output", single);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        var r2 = CliRunner.Run("train", "upft", "--config", config, "--set", "batch_size=2", "--nproc", "2", "--output", parallel);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        Assert.Contains("upft: trained 3 of 3 steps", r2.Out);
        AssertTrained(single);
        Assert.Equal(File.ReadAllText(Path.Combine(single, "upft_samples.jsonl")), File.ReadAllText(Path.Combine(parallel, "upft_samples.jsonl")));
        AssertSameRun(single, parallel, ["loss", "grad_norm", "epoch"]);

        string step1 = Path.Combine(parallel, "checkpoints", "step-1");
        var r3 = CliRunner.Run("train", "upft", "--config", config, "--set", "batch_size=2", "--set", $"resume_from={step1}",
                               "--set", "allow_world_size_change=true", "--output", resumed);
        Assert.True(r3.ExitCode == 0, r3.Error + r3.Out);
        AssertSameWeights(parallel, resumed);
    }

    [Fact]
    public void Ppo_two_processes_with_batch_b_match_one_process_with_batch_2b()
    {
        // The advantages are whitened over every rank's tokens; two passes of two minibatches (one update each).
        string config = RlConfig("ppo.json", new { });
        var options = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(config))!.AsObject();
        foreach (string grpoOnly in new[] { "num_generations", "max_completion_length", "num_iterations", "beta" }) options.Remove(grpoOnly);
        options["max_new_tokens"] = 6;
        options["ppo_epochs"] = 2;
        File.WriteAllText(config, options.ToJsonString());
        string single = Path.Combine(root, "ppo-1"), parallel = Path.Combine(root, "ppo-2");
        var r1 = CliRunner.Run("train", "ppo", "--config", config, "--set", "batch_size=4", "--set", "mini_batch_size=2", "--output", single);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        var r2 = CliRunner.Run("train", "ppo", "--config", config, "--set", "batch_size=2", "--set", "mini_batch_size=1", "--nproc", "2", "--output", parallel);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        AssertTrained(single);
        // One process whitens with float32 statistics, several with float64 sums over the ranks: the weights agree to
        // float32 rounding carried through AdamW (2e-7 measured), so 1e-5 here; a wrong share would be off by ~1e-3.
        AssertSameRun(single, parallel, ["loss", "grad_norm", "objective/scores", "objective/kl", "loss/value", "policy/clipfrac", "val/mean"],
                      FloatTolerance, FloatTolerance);
    }

    [Fact]
    public void Resuming_at_another_world_size_is_refused_unless_allowed_and_then_keeps_the_checkpoints_batches()
    {
        // 10 rows, global batch 4 under 2 processes: the epoch's batches hold 4, 4 and 2 rows. Resumed after step 1 by one
        // process with allow_world_size_change, steps 2 and 3 must train on the same global batches (one process, two
        // micro-batches of batch_size 2), so the weights end where the uninterrupted 2-process run's do.
        string config = Config("world.json", new
        {
            model, data = SftData(), template = "plain", max_length = 24, dtype = "float64", max_steps = 3, logging_steps = 1,
            learning_rate = 1e-2, max_grad_norm = 0, save_steps = 1, save_total_limit = 10, batch_size = 2,
        });
        string whole = Path.Combine(root, "world-2"), resumed = Path.Combine(root, "world-1");
        var r1 = CliRunner.Run("train", "sft", "--config", config, "--nproc", "2", "--output", whole);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);
        string step1 = Path.Combine(whole, "checkpoints", "step-1");

        var refused = CliRunner.Run("train", "sft", "--config", config, "--set", $"resume_from={step1}", "--output", resumed);
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("written by a run of 2 process(es) and this run has 1", refused.Error);
        Assert.Contains("allow_world_size_change", refused.Error);

        var r2 = CliRunner.Run("train", "sft", "--config", config, "--set", $"resume_from={step1}", "--set", "allow_world_size_change=true", "--output", resumed);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        Assert.Contains("sft: trained 3 of 3 steps", r2.Out);
        AssertSameWeights(whole, resumed);
    }

    [Fact]
    public void A_killed_worker_stops_the_run_naming_its_rank_and_the_run_resumes_to_the_uninterrupted_weights()
    {
        // A checkpoint every step, so the run is still going when the first one appears and rank 1 is killed then.
        string config = Config("kill.json", new
        {
            model, data = SftData(), template = "plain", max_length = 24, dtype = "float64", max_steps = 40, logging_steps = 1,
            learning_rate = 1e-2, max_grad_norm = 0, save_steps = 1, save_total_limit = 2, batch_size = 2,
        });
        string whole = Path.Combine(root, "kill-whole"), killed = Path.Combine(root, "kill-resumed");
        var r1 = CliRunner.Run("train", "sft", "--config", config, "--nproc", "2", "--output", whole);
        Assert.True(r1.ExitCode == 0, r1.Error + r1.Out);

        var error = new StringWriter();
        var errorSync = TextWriter.Synchronized(error);
        var run = Task.Run(() => AlignApp.Run(["train", "sft", "--config", config, "--nproc", "2", "--output", killed], TextWriter.Null, errorSync));
        var checkpoints = Path.Combine(killed, "checkpoints");
        var wait = System.Diagnostics.Stopwatch.StartNew();
        while (!(Directory.Exists(checkpoints) && Directory.EnumerateDirectories(checkpoints, "step-*").Any()))
        {
            Assert.False(run.IsCompleted, "the run ended before its first checkpoint: " + error);
            Assert.True(wait.Elapsed < TimeSpan.FromMinutes(5), "no checkpoint after 5 minutes: " + error);
            Thread.Sleep(20);
        }
        var pid = System.Text.RegularExpressions.Regex.Match(error.ToString(), @"rank 1 pid (\d+)");
        Assert.True(pid.Success, error.ToString());
        var killedAt = System.Diagnostics.Stopwatch.StartNew();
        System.Diagnostics.Process.GetProcessById(int.Parse(pid.Groups[1].Value)).Kill();     // SIGKILL
        Assert.True(run.Wait(TimeSpan.FromSeconds(60)), "the launcher did not exit within 60 s of the kill: " + error);
        Assert.True(killedAt.Elapsed < TimeSpan.FromSeconds(60));
        Assert.Equal(2, run.Result);
        Assert.Contains("error: worker rank 1 was killed by signal 9 (SIGKILL)", error.ToString());
        Assert.False(File.Exists(Path.Combine(killed, "model.safetensors")), "a killed run wrote a final model");

        // The documented resume: the same command with resume_from=latest and the same --nproc.
        var r2 = CliRunner.Run("train", "sft", "--config", config, "--nproc", "2", "--set", "resume_from=latest", "--output", killed);
        Assert.True(r2.ExitCode == 0, r2.Error + r2.Out);
        Assert.Contains("sft: trained 40 of 40 steps", r2.Out);
        AssertSameRun(whole, killed, ["loss", "grad_norm"]);
    }

    [Fact]
    public void Launch_options_that_cannot_apply_are_refused()
    {
        string config = Config("bon.json", new { model, data = SftData() });
        var r = CliRunner.Run("train", "best-of-n", "--config", config, "--nproc", "2", "--output", Path.Combine(root, "bon"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("stage 'best-of-n' does not run data-parallel: it trains nothing", r.Error);
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
