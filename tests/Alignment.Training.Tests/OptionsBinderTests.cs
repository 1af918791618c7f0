using Alignment.Training.Config;

namespace Alignment.Training.Tests;

public sealed class OptionsBinderTests : IDisposable
{
    public enum Schedule { Constant, Linear, Cosine }

    public sealed class SampleOptions
    {
        [Option("learning_rate", "Peak learning rate.")] public double LearningRate { get; set; } = 5e-6;
        [Option("batch_size", "Pairs per step.")] public int BatchSize { get; set; } = 4;
        [Option("lr_scheduler", "Schedule name.")] public Schedule LrScheduler { get; set; } = Schedule.Linear;
        [Option("model", "Model folder.")] public string? Model { get; set; }
        [Option("max_steps", "Stop after this many steps.")] public long? MaxSteps { get; set; }
        [Option("target_modules", "LoRA targets.")] public string[] TargetModules { get; set; } = { "q_proj", "v_proj" };
        public int NotAnOption { get; set; }
    }

    private readonly string dir = Directory.CreateTempSubdirectory("align-opt-").FullName;

    public void Dispose() => Directory.Delete(dir, true);

    private string Write(string json)
    {
        string p = Path.Combine(dir, "config.json");
        File.WriteAllText(p, json);
        return p;
    }

    [Fact]
    public void Defaults_file_values_and_overrides_apply_in_order()
    {
        var o = OptionsBinder.Bind<SampleOptions>(Write("{\n  \"learning_rate\": 1e-5,\n  \"lr_scheduler\": \"cosine\",\n  \"model\": \"m\"\n}"),
                                                  new[] { "batch_size=8", "model=other", "max_steps=100", "target_modules=[\"all-linear\"]" });
        Assert.Equal(1e-5, o.LearningRate);
        Assert.Equal(Schedule.Cosine, o.LrScheduler);
        Assert.Equal(8, o.BatchSize);
        Assert.Equal("other", o.Model);
        Assert.Equal(100L, o.MaxSteps);
        Assert.Equal(new[] { "all-linear" }, o.TargetModules);
        var d = OptionsBinder.Bind<SampleOptions>(null);
        Assert.Equal(5e-6, d.LearningRate);
        Assert.Null(d.MaxSteps);
    }

    [Fact]
    public void Unknown_key_names_file_line_and_suggests()
    {
        string p = Write("{\n  \"batch_size\": 2,\n  \"learnig_rate\": 1e-5\n}");
        var e = Assert.Throws<ConfigException>(() => OptionsBinder.Bind<SampleOptions>(p));
        Assert.Equal($"{p}:3: unknown option 'learnig_rate'; did you mean 'learning_rate'? Valid options: batch_size, learning_rate, lr_scheduler, " +
                     "max_steps, model, target_modules (`--help` describes each)", e.Message);
    }

    [Fact]
    public void Wrong_type_names_the_field_and_expected_type()
    {
        string p = Write("{\"batch_size\": \"eight\"}");
        var e = Assert.Throws<ConfigException>(() => OptionsBinder.Bind<SampleOptions>(p));
        Assert.Equal($"{p}:1: option 'batch_size' expects integer, got \"eight\"", e.Message);
        var e2 = Assert.Throws<ConfigException>(() => OptionsBinder.Bind<SampleOptions>(null, new[] { "lr_scheduler=wavy" }));
        Assert.Contains("expects constant|linear|cosine", e2.Message);
        var e3 = Assert.Throws<ConfigException>(() => OptionsBinder.Bind<SampleOptions>(null, new[] { "batch_size" }));
        Assert.Contains("expected key=value", e3.Message);
    }

    [Fact]
    public void Malformed_json_reports_the_line()
    {
        string p = Write("{\n  \"batch_size\": 2,\n  \"model\": \n}");
        var e = Assert.Throws<ConfigException>(() => OptionsBinder.Bind<SampleOptions>(p));
        Assert.StartsWith($"{p}:4: not valid JSON", e.Message);
    }

    [Fact]
    public void Describe_lists_documented_options_with_defaults()
    {
        var opts = OptionsBinder.Describe<SampleOptions>();
        Assert.Equal(6, opts.Count);
        var lr = opts.Single(o => o.Key == "learning_rate");
        Assert.Equal(5e-6, lr.Default);
        Assert.Equal("number", lr.TypeName);
        Assert.Equal("constant|linear|cosine", opts.Single(o => o.Key == "lr_scheduler").TypeName);
    }
}
