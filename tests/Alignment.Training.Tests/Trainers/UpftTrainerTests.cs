using System.Text.Json;
using Alignment.Training.Config;
using Alignment.Training.Metrics;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

[Collection(TrainingCollection.Name)]
public sealed class UpftTrainerTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    [Fact]
    public void Upft_trains_on_prefixes_of_its_own_answers_with_a_quarter_kept_whole()
    {
        string prompts = world.WriteJsonl("prompts.jsonl", Enumerable.Range(0, 20).Select(i => new { prompt = $"q{i} item {i}" }));
        string output = world.NewOutput("upft");
        var o = new UpftOptions
        {
            Model = world.Model, Data = prompts, Template = "chatml", MaxLength = 300, MaxPromptLength = 256, BatchSize = 4, MaxSteps = 2, LoggingSteps = 1, SaveSteps = 0,
            LearningRate = 1e-3, PrefixLength = 3, FullAnswerRatio = 0.25, MaxNewTokens = 12, Finetuning = FinetuningType.Lora,
        };
        var result = UpftTrainer.Run(o, output);
        Assert.Equal(2, result.GlobalStep);
        Assert.All(MetricsWriter.Read(Path.Combine(output, "metrics.jsonl")), r => Assert.True(double.IsFinite(r["loss"]!.Value)));

        int eos = world.Tokenizer.Eos!.Value.Id;
        var samples = File.ReadAllLines(Path.Combine(output, UpftTrainer.SamplesFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.True(samples.Count == 20, $"{samples.Count} samples: {string.Join(" | ", samples.Take(3))}");
        Assert.Equal(5, samples.Count(s => s.GetProperty("full").GetBoolean()));     // round(0.25 × 20)
        foreach (var s in samples)
        {
            var ids = s.GetProperty("answer_ids").EnumerateArray().Select(x => x.GetInt32()).ToArray();
            bool isFull = s.GetProperty("full").GetBoolean();
            int limit = isFull ? 12 : 3;
            // An answer stops at its limit or on the end-of-turn token; a prefix is never given an end token of its own.
            Assert.True(ids.Length == limit || (ids.Length < limit && ids[^1] == eos), $"{ids.Length} tokens, full {isFull}");
            Assert.Equal(!isFull, s.GetProperty("prompt").GetString()!.Contains("initial step towards resolving the question"));
        }
        Assert.Contains(samples, s => !s.GetProperty("full").GetBoolean() && s.GetProperty("answer_ids").GetArrayLength() == 3);
        Assert.Contains(samples, s => s.GetProperty("full").GetBoolean() && s.GetProperty("answer_ids").GetArrayLength() > 3);
    }

    [Fact]
    public void Bad_upft_options_are_refused_naming_the_key()
    {
        var o = new UpftOptions { Model = "m", Data = "d", PrefixLength = 0 };
        Assert.Contains("prefix_length", Assert.Throws<ConfigException>(o.Validate).Message);
        o = new UpftOptions { Model = "m", Data = "d", FullAnswerRatio = 1.5 };
        Assert.Contains("full_answer_ratio", Assert.Throws<ConfigException>(o.Validate).Message);
        o = new UpftOptions { Model = "m", Data = "d", MaxLength = 260, MaxPromptLength = 256, PrefixLength = 8 };
        Assert.Contains("exceed 'max_length'", Assert.Throws<ConfigException>(o.Validate).Message);
    }
}
