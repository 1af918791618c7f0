using System.Text.Json;
using Alignment.Models.Checkpoints;
using Alignment.Tokenizers.Training;
using Alignment.Training.Config;
using Alignment.Training.Metrics;

namespace Alignment.Cli.Tests;

// The `align train` contract: config + --set, metrics.jsonl keys, checkpoints, the final model folder or adapter, --help.
[Collection("train-cli (sequential)")]
public sealed class TrainCommandTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("align-train-cli-").FullName;
    private readonly string model;

    public TrainCommandTests()
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

    private string Config(string name, object options)
    {
        string path = Path.Combine(root, name);
        File.WriteAllText(path, JsonSerializer.Serialize(options));
        return path;
    }

    private string Pairs() => Write("pairs.jsonl", Enumerable.Range(0, 8).Select(i => new { prompt = $"q{i}", chosen = " good cat", rejected = " bad dog" }));

    [Fact]
    public void Sft_writes_metrics_checkpoints_and_a_model_folder()
    {
        string data = Write("sft.jsonl", Enumerable.Range(0, 8).Select(i => new { prompt = $"q{i}", completion = " red cat" }));
        string config = Config("sft.json", new { model, data, template = "plain", max_length = 16, batch_size = 4, save_steps = 1, logging_steps = 1 });
        string output = Path.Combine(root, "sft");
        var r = CliRunner.Run("train", "sft", "--config", config, "--set", "max_steps=2", "--set", "learning_rate=1e-3", "--output", output);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        Assert.Contains("sft: trained 2 of 2 steps", r.Out);
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(2, rows.Count);
        foreach (string key in new[] { "step", "epoch", "loss", "learning_rate", "grad_norm" }) Assert.True(rows[0].ContainsKey(key), key);
        Assert.Equal(1e-3, rows[0]["learning_rate"]);
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoints", "step-2")));
        foreach (string f in new[] { "config.json", "model.safetensors", "tokenizer.json", "generation_config.json" })
            Assert.True(File.Exists(Path.Combine(output, f)), f);
        using var lm = Alignment.Models.Llama.LlamaForCausalLM.from_pretrained(output);   // the output is a loadable HF folder
    }

    [Fact]
    public void Dpo_with_lora_writes_a_peft_adapter_and_trl_metric_names()
    {
        string config = Config("dpo.json", new { model, data = Pairs(), template = "plain", max_length = 16, batch_size = 4, max_steps = 2, finetuning = "lora", logging_steps = 1 });
        string output = Path.Combine(root, "dpo");
        var r = CliRunner.Run("train", "dpo", "--config", config, "--set", "loss_type=ipo", "--output", output);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        Assert.True(File.Exists(Path.Combine(output, "adapter_config.json")));
        Assert.True(File.Exists(Path.Combine(output, "adapter_model.safetensors")));
        Assert.True(File.Exists(Path.Combine(output, "ref_logps.safetensors")));
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        foreach (string key in new[] { "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen", "logps/rejected",
                                       "logits/chosen", "logits/rejected", "grad_norm", "learning_rate", "epoch", "loss" })
            Assert.True(rows[0].ContainsKey(key), key);
        using var lm = Alignment.Models.Llama.LlamaForCausalLM.from_pretrained(model);
        Alignment.Models.Lora.LoraModel.load_adapter(lm, output);   // PEFT format our loader (and PEFT) reads
    }

    [Fact]
    public void Rm_then_best_of_n_then_ppo_chain_through_the_cli()
    {
        string rmDir = Path.Combine(root, "rm");
        var r = CliRunner.Run("train", "rm", "--config", Config("rm.json", new { model, data = Pairs(), template = "plain", max_length = 16, batch_size = 4, max_steps = 2 }),
                              "--output", rmDir);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        string prompts = Write("prompts.jsonl", Enumerable.Range(0, 4).Select(i => new { prompt = $"q{i}" }));

        string bonDir = Path.Combine(root, "bon");
        r = CliRunner.Run("train", "best-of-n", "--config", Config("bon.json", new { model, reward_model = rmDir, data = prompts, template = "plain", n = 3, max_new_tokens = 4 }),
                          "--output", bonDir);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        var best = File.ReadAllLines(Path.Combine(bonDir, "best_of_n.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var candidates = File.ReadAllLines(Path.Combine(bonDir, "candidates.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(4, best.Count);
        Assert.Equal(12, candidates.Count);
        for (int i = 0; i < 4; i++)
        {
            double max = candidates.Where(c => c.GetProperty("index").GetInt32() == i).Max(c => c.GetProperty("score").GetDouble());
            Assert.Equal(max, best[i].GetProperty("score").GetDouble());
            Assert.Equal($"q{i}", best[i].GetProperty("prompt").GetString());
        }

        string ppoDir = Path.Combine(root, "ppo");
        r = CliRunner.Run("train", "ppo", "--config", Config("ppo.json", new { model, reward_model = rmDir, data = prompts, template = "plain", batch_size = 4, max_new_tokens = 4, max_steps = 2, ppo_epochs = 1 }),
                          "--output", ppoDir);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        var rows = MetricsWriter.Read(Path.Combine(ppoDir, "metrics.jsonl"));
        Assert.True(rows[0].ContainsKey("objective/kl") && rows[0].ContainsKey("objective/scores"));
        Assert.True(File.Exists(Path.Combine(ppoDir, "model.safetensors")));
    }

    [Fact]
    public void Online_dpo_ranks_its_pairs_with_a_rule_file()
    {
        string prompts = Write("od-prompts.jsonl", Enumerable.Range(0, 8).Select(i => new { prompt = $"q{i}" }));
        string rules = Path.Combine(root, "long.json");
        File.WriteAllText(rules, """{"rules": [{"name": "long", "minLength": 6, "score": 1}, {"name": "owl", "contains": "owl", "score": 2}], "tie": 0}""");
        string output = Path.Combine(root, "online-dpo");
        var r = CliRunner.Run("train", "online-dpo", "--config", Config("od.json", new { model, data = prompts, template = "plain", batch_size = 4, max_new_tokens = 6,
                                                                                      max_length = 16, max_steps = 2, reward_funcs = $"rules:{rules}" }),
                              "--set", "missing_eos_penalty=0.5", "--output", output);
        Assert.True(r.ExitCode == 0, r.Error + r.Out);
        Assert.Contains("online-dpo: trained 2 of 2 steps", r.Out);
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        foreach (var row in rows)
        {
            // objective/scores = the rule reward less 0.5 for each completion without EOS
            double expected = row["rewards/long/mean"]!.Value - 0.5 * (1 - row["val/contain_eos_token"]!.Value);
            Assert.Equal(expected, row["objective/scores"]!.Value, 9);
        }
        r = CliRunner.Run("train", "online-dpo", "--config", Config("od-bad.json", new { model, data = prompts, template = "plain", loss_type = "kto" }),
                          "--output", Path.Combine(root, "od-bad"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("loss_type", r.Error);
    }

    [Theory]
    [InlineData("sft", typeof(SftOptions))]
    [InlineData("upft", typeof(UpftOptions))]
    [InlineData("rm", typeof(RewardOptions))]
    [InlineData("dpo", typeof(DpoOptions))]
    [InlineData("kto", typeof(KtoOptions))]
    [InlineData("ppo", typeof(PpoOptions))]
    [InlineData("online-dpo", typeof(OnlineDpoOptions))]
    [InlineData("best-of-n", typeof(Alignment.Training.Trainers.BestOfNOptions))]
    public void Help_lists_every_option_with_type_and_default(string stage, Type optionsType)
    {
        var r = CliRunner.Run("train", stage, "--help");
        Assert.Equal(0, r.ExitCode);
        foreach (var o in OptionsBinder.Describe(optionsType))
        {
            Assert.Contains($"  {o.Key} ", r.Out);
            Assert.Contains(o.Description.Split(' ')[0], r.Out);
        }
        if (stage == "dpo") Assert.Matches(@"\n    beta +number  default 0\.1\n", r.Out);
        if (stage == "ppo") Assert.Contains("kl_coef", r.Out);
        if (stage == "upft") Assert.Matches(@"\n    prefix_length +integer  default 8\n", r.Out);
        if (stage == "online-dpo") Assert.Matches(@"\n    temperature +number  default 0\.9\n", r.Out);
        if (!typeof(CommonOptions).IsAssignableFrom(optionsType)) return;
        // What each fine-tuning method trains, and the methods' defaults.
        foreach (string method in new[] { "prefix_tuning", "prompt_tuning", "p_tuning", "ia3", "bottleneck", "lora", "freeze" })
            Assert.Contains(method, r.Out);
        Assert.Contains("per-layer keys/values", r.Out);
        Assert.Contains("num_virtual_tokens", r.Out);
        Assert.Contains("k_proj,v_proj,down_proj", r.Out);
    }

    [Fact]
    public void Unknown_key_and_bad_data_fail_with_exit_code_2_and_a_clear_message()
    {
        string config = Config("bad.json", new { model, data = Pairs(), learnig_rate = 1 });
        var r = CliRunner.Run("train", "dpo", "--config", config, "--output", Path.Combine(root, "x"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("unknown option 'learnig_rate'; did you mean 'learning_rate'? Valid options:", r.Error);
        r = CliRunner.Run("train", "sft", "--config", Config("sft.json", new { model, data = Pairs(), template = "plain" }), "--output", Path.Combine(root, "y"));
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("holds preference pairs", r.Error);
        Assert.False(Directory.Exists(Path.Combine(root, "y", "checkpoints")));
    }

    // A run that fails before its first step takes back what it made (the metrics file, the output folder it created),
    // so the same command succeeds once the cause is fixed: it used to leave a 0-byte metrics.jsonl and refuse the
    // retry with "already holds a run".
    [Theory]
    [InlineData("missing-model", "sft")]
    [InlineData("bad-data-shape", "sft")]
    [InlineData("empty-data", "sft")]
    [InlineData("lora-r-0", "sft")]
    [InlineData("adam-beta1-1.5", "sft")]
    [InlineData("max-length-3", "sft")]
    [InlineData("sft-data-for-dpo", "dpo")]
    public void A_run_that_fails_before_its_first_step_leaves_nothing_and_the_retry_runs(string fault, string stage)
    {
        string sft = Write("sft.jsonl", Enumerable.Range(0, 8).Select(i => new { prompt = $"q{i}", completion = " red cat" }));
        string good = stage == "dpo" ? Pairs() : sft;
        string chat = Write("chat.jsonl", Enumerable.Range(0, 8).Select(i => new { messages = new[] { new { role = "user", content = $"q{i} red" }, new { role = "assistant", content = "good cat" } } }));
        object Options(string m, string d, string finetuning = "full", int loraR = 8, double beta1 = 0.9, int maxLength = 16, string template = "plain") =>
            new { model = m, data = d, template, max_length = maxLength, batch_size = 4, max_steps = 1, finetuning, lora_r = loraR, adam_beta1 = beta1 };
        object bad = fault switch
        {
            "missing-model" => Options(Path.Combine(root, "no-model"), good),
            "bad-data-shape" => Options(model, Write("shape.jsonl", [new { question = "q", answer = "a" }])),
            "empty-data" => Options(model, Write("empty.jsonl", [])),
            "lora-r-0" => Options(model, good, "lora", loraR: 0),
            "adam-beta1-1.5" => Options(model, good, beta1: 1.5),
            "max-length-3" => Options(model, chat, maxLength: 3, template: "chatml"),   // the chat header alone is longer
            _ => Options(model, sft),
        };
        string output = Path.Combine(root, "out-" + fault);

        var failed = CliRunner.Run("train", stage, "--config", Config("bad.json", bad), "--output", output);

        Assert.True(failed.ExitCode == 2, $"exit {failed.ExitCode}: {failed.Error}");
        Assert.StartsWith("error: ", failed.Error);
        Assert.DoesNotContain("   at ", failed.Error);
        Assert.False(Path.Exists(output), $"{output} was left behind: " +
                     (Directory.Exists(output) ? string.Join(", ", Directory.EnumerateFileSystemEntries(output)) : "a file"));

        var retry = CliRunner.Run("train", stage, "--config", Config("good.json", Options(model, good)), "--output", output);
        Assert.True(retry.ExitCode == 0, retry.Error);
        Assert.Contains("trained 1 of 1 steps", retry.Out);
    }

    // A failed start into a folder that existed before keeps the folder and what was in it, and removes only its metrics file.
    [Fact]
    public void A_failed_start_into_an_existing_folder_keeps_the_folder_and_its_files()
    {
        string output = Directory.CreateDirectory(Path.Combine(root, "kept")).FullName;
        File.WriteAllText(Path.Combine(output, "notes.txt"), "mine");
        string sft = Write("sft.jsonl", Enumerable.Range(0, 8).Select(i => new { prompt = $"q{i}", completion = " red cat" }));
        var failed = CliRunner.Run("train", "sft", "--config",
            Config("bad.json", new { model = Path.Combine(root, "no-model"), data = sft, template = "plain", max_steps = 1 }), "--output", output);
        Assert.Equal(2, failed.ExitCode);
        Assert.Equal(["notes.txt"], Directory.GetFileSystemEntries(output).Select(Path.GetFileName));
    }
}
