using Alignment.Torch.IO;
using Alignment.Training.Config;
using Alignment.Training.Metrics;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

[Collection(TrainingCollection.Name)]
public sealed class PreferenceTrainerTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    [Theory]
    [InlineData(DpoLossType.Sigmoid)]
    [InlineData(DpoLossType.Robust)]
    [InlineData(DpoLossType.Hinge)]
    [InlineData(DpoLossType.Ipo)]
    [InlineData(DpoLossType.Simpo)]
    [InlineData(DpoLossType.Orpo)]
    public void Dpo_drives_accuracy_to_1_and_margins_up(DpoLossType lossType)
    {
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows());
        string output = world.NewOutput("dpo");
        var o = new DpoOptions
        {
            Model = world.Model, Data = data, EvalData = data, Template = "plain", MaxLength = 32, BatchSize = 8, LearningRate = 2e-3,
            LrScheduler = "constant", Epochs = lossType == DpoLossType.Orpo ? 20 : 8, LoggingSteps = 1, SaveSteps = 0, LossType = lossType,
            LabelSmoothing = lossType == DpoLossType.Robust ? 0.1 : 0,
        };
        var result = DpoTrainer.Run(o, output);
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        var train = rows.Where(r => r.ContainsKey("loss")).ToList();
        var eval = rows.Single(r => r.ContainsKey("eval_loss"));
        foreach (string key in new[] { "loss", "rewards/chosen", "rewards/rejected", "rewards/accuracies", "rewards/margins", "logps/chosen",
                                       "logps/rejected", "logits/chosen", "logits/rejected", "grad_norm", "learning_rate", "epoch", "step" })
            Assert.True(train[0].ContainsKey(key), $"metrics.jsonl lacks {key}");
        Assert.Equal(1.0, eval["eval_rewards/accuracies"]);
        Assert.True(train[^1]["rewards/margins"] > train[0]["rewards/margins"] + 0.01, $"margins {train[0]["rewards/margins"]} -> {train[^1]["rewards/margins"]}");
        Assert.True(eval["eval_rewards/margins"] > 0);
        Assert.All(train, r => Assert.True(double.IsFinite(r["loss"]!.Value)));
        bool referenceFree = lossType is DpoLossType.Simpo or DpoLossType.Orpo;
        Assert.Equal(!referenceFree, File.Exists(Path.Combine(output, DpoTrainer.ReferenceFile)));
        if (!referenceFree)   // step 1 runs the untouched policy: its log-probs equal the stored reference's
            Assert.True(Math.Abs(train[0]["rewards/chosen"]!.Value) < 1e-4, $"step-1 reward {train[0]["rewards/chosen"]}");
        Assert.True(File.Exists(Path.Combine(output, "model.safetensors")));
        Assert.Equal(result.TotalSteps, train.Count);
    }

    [Fact]
    public void Reference_logps_are_the_starting_models_summed_completion_logprobs()
    {
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows(4));
        string output = world.NewOutput("dpo");
        DpoTrainer.Run(new DpoOptions { Model = world.Model, Data = data, Template = "plain", MaxLength = 32, BatchSize = 2, MaxSteps = 1, SaveSteps = 0 }, output);
        var (tensors, _) = Safetensors.Load(Path.Combine(output, DpoTrainer.ReferenceFile));
        var chosen = tensors["first"].data<double>();
        // Independent: score prompt + chosen one sequence at a time with TokenLogProbs and sum the answer positions.
        using var model = Alignment.Models.Llama.LlamaForCausalLM.from_pretrained(world.Model);
        model.eval();
        var tok = world.Tokenizer;
        for (int i = 0; i < 4; i++)
        {
            var prompt = tok.Encode($"q{i}");
            var answer = tok.Encode($" {TinyWorld.Colors[i % 8]} {TinyWorld.Animals[i / 8 % 4]}").Append(tok.Eos!.Value.Id).ToArray();
            var seq = prompt.Concat(answer).Select(x => (long)x).ToArray();
            var lp = Alignment.Models.Scoring.TokenLogProbs.Compute(model, new[] { seq })[0];
            double expected = lp.Skip(prompt.Length).Sum(x => x!.Value);
            Assert.Equal(expected, chosen[i], 1e-4);
        }
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Fact]
    public void Reward_model_reaches_95_percent_accuracy_on_64_separable_pairs()
    {
        // Separable: the chosen answer always says "good", the rejected one "bad".
        var pairs = Enumerable.Range(0, 64).Select(i => new
        {
            prompt = $"q{i % 40}",
            chosen = $" good {TinyWorld.Colors[i % 8]}",
            rejected = $" bad {TinyWorld.Colors[(i * 3) % 8]}",
            margin = (i % 3) / 3.0,
        });
        string data = world.WriteJsonl("rm.jsonl", pairs);
        string output = world.NewOutput("rm");
        var o = new RewardOptions
        {
            Model = world.Model, Data = data, EvalData = data, Template = "plain", MaxLength = 32, BatchSize = 16, Epochs = 10,
            LearningRate = 1e-3, LoggingSteps = 1, SaveSteps = 0, CenterRewardsCoefficient = 0.01,
        };
        RewardTrainer.Run(o, output);
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        var eval = rows.Single(r => r.ContainsKey("eval_loss"));
        Assert.True(eval["eval_accuracy"] >= 0.95, $"accuracy {eval["eval_accuracy"]}");
        Assert.True(eval["eval_margin"] > 0);
        Assert.All(new[] { "accuracy", "margin", "rewards/mean", "loss", "learning_rate", "epoch" }, k => Assert.True(rows[0].ContainsKey(k), k));
        // The output is a reward model folder: score.weight beside the decoder.
        using var rm = Alignment.Models.Heads.LlamaForSequenceClassification.from_pretrained(output);
        Assert.Equal(1, rm.num_labels);
    }

    [Fact]
    public void Kto_raises_desirable_rewards_above_undesirable_ones()
    {
        var rows = Enumerable.Range(0, 32).Select(i => new
        {
            prompt = $"q{i}",
            completion = i % 2 == 0 ? $" good {TinyWorld.Colors[i % 8]}" : $" bad {TinyWorld.Colors[i % 8]}",
            label = i % 2 == 0,
        });
        string data = world.WriteJsonl("kto.jsonl", rows);
        string output = world.NewOutput("kto");
        var o = new KtoOptions
        {
            Model = world.Model, Data = data, EvalData = data, Template = "plain", MaxLength = 32, BatchSize = 8, Epochs = 6,
            LearningRate = 2e-3, LrScheduler = "constant", LoggingSteps = 1, SaveSteps = 0,
        };
        KtoTrainer.Run(o, output);
        var metrics = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        var eval = metrics.Single(r => r.ContainsKey("eval_loss"));
        var train = metrics.Where(r => r.ContainsKey("loss")).ToList();
        Assert.True(eval["eval_rewards/chosen"] > eval["eval_rewards/rejected"] + 0.1, $"{eval["eval_rewards/chosen"]} vs {eval["eval_rewards/rejected"]}");
        Assert.True(train[^1]["loss"] < train[0]["loss"]);
        // Before its first update the policy is the reference, so the first step's KL estimate on the mismatched pairs is 0
        // (up to float rounding between the two forward passes); a reference read for the wrong rows would not give 0.
        Assert.InRange(train[0]["kl"]!.Value, 0, 1e-4);
    }

    [Fact]
    public void Reference_logps_files_are_the_same_bytes_for_copies_of_the_model_in_different_folders()
    {
        // The file is stored as an artifact by the workflow's DPO stage, where the model lies under each home's own
        // artifacts/ folder: nothing machine-specific (such as the model's path) may go into it.
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows(4));
        var files = new List<byte[]>();
        foreach (string home in new[] { "home-a", "somewhere/else/home-b" })
        {
            string copy = world.Path_(Path.Combine(home, "model"));
            Directory.CreateDirectory(copy);
            foreach (string file in Directory.EnumerateFiles(world.Model)) File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
            string output = world.NewOutput($"dpo-{files.Count}");
            DpoTrainer.Run(new DpoOptions { Model = copy, Data = data, Template = "plain", MaxLength = 32, BatchSize = 2, MaxSteps = 1, SaveSteps = 0 }, output);
            files.Add(File.ReadAllBytes(Path.Combine(output, DpoTrainer.ReferenceFile)));
        }
        Assert.Equal(files[0], files[1]);
    }
}
