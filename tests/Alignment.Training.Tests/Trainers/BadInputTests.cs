using Alignment.Training.Checkpoints;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training.State;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

[Collection(TrainingCollection.Name)]
public sealed class BadInputTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    private SftOptions Sft(string data) => new() { Model = world.Model, Data = data, Template = "plain", MaxLength = 32, BatchSize = 4, MaxSteps = 2, SaveSteps = 1 };

    private DpoOptions Dpo(string data) => new() { Model = world.Model, Data = data, Template = "plain", MaxLength = 32, BatchSize = 4, MaxSteps = 2 };

    [Fact]
    public void Empty_data_is_an_error_naming_the_file()
    {
        string data = world.Path_("empty.jsonl");
        File.WriteAllText(data, "\n\n");
        var e = Assert.Throws<DatasetException>(() => SftTrainer.Run(Sft(data), world.NewOutput("o")));
        Assert.Equal($"{data}: no rows (the file is empty)", e.Message);
    }

    [Fact]
    public void A_line_missing_a_field_names_file_line_and_field()
    {
        var rows = TinyWorld.PreferenceRows(4).Cast<object>().ToList();
        rows.Insert(2, new { prompt = "q9", chosen = " red cat" });
        string data = world.WriteJsonl("pairs.jsonl", rows);
        var e = Assert.Throws<DatasetException>(() => DpoTrainer.Run(Dpo(data), world.NewOutput("o")));
        Assert.Equal($"{data}:3: field \"rejected\" is missing", e.Message);
    }

    [Fact]
    public void Pairs_given_to_sft_are_refused_with_the_stage_to_use()
    {
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows(4));
        var e = Assert.Throws<DatasetException>(() => SftTrainer.Run(Sft(data), world.NewOutput("o")));
        Assert.Contains("holds preference pairs", e.Message);
        Assert.Contains("for rm or dpo", e.Message);
        string sft = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows(4));
        Assert.Contains("`align train dpo` trains on", Assert.Throws<DatasetException>(() => DpoTrainer.Run(Dpo(sft), world.NewOutput("o2"))).Message);
    }

    [Fact]
    public void A_prompt_longer_than_max_length_names_the_line()
    {
        var rows = TinyWorld.SftRows(3).Append(new { prompt = string.Join(" ", Enumerable.Range(0, 40).Select(i => $"item {i}")), completion = " red" });
        string data = world.WriteJsonl("sft.jsonl", rows);
        var e = Assert.Throws<DatasetException>(() => SftTrainer.Run(Sft(data), world.NewOutput("o")));
        Assert.StartsWith($"{data}:4: the prompt is", e.Message);
        Assert.Contains("max_length 32", e.Message);
    }

    [Fact]
    public void A_nan_loss_stops_naming_the_step_and_keeps_the_last_good_checkpoint()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows(16));
        string output = world.NewOutput("o");
        var o = Sft(data);
        o.MaxSteps = 40;
        o.LearningRate = 1e30;       // weights of 1e30 after one step: activations overflow float32
        o.MaxGradNorm = 0;
        o.LrScheduler = "constant";
        o.SaveTotalLimit = 0;
        var e = Assert.Throws<NonFiniteLossException>(() => SftTrainer.Run(o, output));
        Assert.Contains($"step {e.Step}: the", e.Message);
        Assert.True(e.Step >= 2, e.Message);
        string good = new CheckpointStore(output).PathOf(e.Step - 1);
        Assert.Equal(good, e.LastCheckpoint);
        Assert.Contains(good, e.Message);
        Assert.Equal(e.Step - 1, TrainerState.Load(good).GlobalStep);
        Assert.DoesNotContain(new CheckpointStore(output).List(), c => c.step >= e.Step);
        Assert.False(File.Exists(Path.Combine(output, "model.safetensors")));   // no final model from a broken run
    }

    [Fact]
    public void An_unknown_config_key_lists_the_valid_keys()
    {
        string config = world.Path_("sft.json");
        File.WriteAllText(config, "{\n  \"model\": \"m\",\n  \"learnig_rate\": 1e-5\n}");
        var e = Assert.Throws<ConfigException>(() => OptionsBinder.Bind<SftOptions>(config));
        Assert.StartsWith($"{config}:3: unknown option 'learnig_rate'; did you mean 'learning_rate'? Valid options: ", e.Message);
        foreach (var option in OptionsBinder.Describe<SftOptions>()) Assert.Contains(option.Key, e.Message);
    }

    [Fact]
    public void Bad_option_values_are_errors_naming_the_key()
    {
        string data = world.WriteJsonl("pairs.jsonl", TinyWorld.PreferenceRows(4));
        var o = Dpo(data);
        o.LabelSmoothing = 0.7;
        Assert.Contains("'label_smoothing'", Assert.Throws<ConfigException>(() => DpoTrainer.Run(o, world.NewOutput("o"))).Message);
        var s = Sft(data);
        s.Model = null;
        Assert.Contains("'model' is required", Assert.Throws<ConfigException>(() => SftTrainer.Run(s, world.NewOutput("o2"))).Message);
        Assert.Contains("no such folder", Assert.Throws<TrainingException>(() => SftTrainer.Run(Sft(world.WriteJsonl("s.jsonl", TinyWorld.SftRows(4))).with_(x => x.ResumeFrom = "/nonexistent/step-3"), world.NewOutput("o3"))).Message);
    }
}
