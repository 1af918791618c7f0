using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Training.Config;
using Alignment.Training.Metrics;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

[Collection(TrainingCollection.Name)]
public sealed class SftTrainerTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    private SftOptions Options(string data) => new()
    {
        Model = world.Model, Data = data, Template = "plain", MaxLength = 32, BatchSize = 8, LearningRate = 3e-3,
        LrScheduler = "constant", Epochs = 50, LoggingSteps = 1, SaveSteps = 0, MaxGradNorm = 1.0,
    };

    [Fact]
    public void Sft_drives_the_loss_on_32_examples_below_0_05()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        string output = world.NewOutput("run");
        var result = SftTrainer.Run(Options(data), output);
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        Assert.Equal(result.TotalSteps, rows.Count);
        Assert.Equal(Enumerable.Range(1, result.TotalSteps).Select(s => (double?)s), rows.Select(r => r["step"]));
        double first = rows[0]["loss"]!.Value, last = rows[^1]["loss"]!.Value;
        Assert.True(first > 3, $"first loss {first}: an untrained model over {world.Tokenizer.VocabSize} tokens should be near ln(V)");
        Assert.True(last < 0.05, $"final loss {last} (first {first})");
    }

    [Fact]
    public void Gradient_accumulation_4x2_equals_batch_8_in_float64()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows().Select((r, i) => i % 3 == 0
            ? (object)new { prompt = $"q{i} item {i}", completion = $" {TinyWorld.Colors[i % 8]} and {TinyWorld.Colors[(i + 1) % 8]} {TinyWorld.Animals[i % 4]}" }
            : r));   // unequal answer lengths, so a per-micro-batch mean would differ from the token mean
        SftOptions Make(int batch, int accumulation) => Options(data).with_(o =>
        {
            o.BatchSize = batch; o.GradientAccumulationSteps = accumulation; o.Dtype = "float64"; o.MaxSteps = 3; o.LearningRate = 1e-3;
        });
        var big = SftTrainer.Run(Make(8, 1), world.NewOutput("b8"));
        var acc = SftTrainer.Run(Make(2, 4), world.NewOutput("b2x4"));
        double diff = TrainerAssert.MaxAbsDifference(TrainerAssert.Weights(world.NewOutput("b8")), TrainerAssert.Weights(world.NewOutput("b2x4")));
        Assert.True(diff < 1e-5, $"weights differ by {diff}");
        for (int i = 0; i < 3; i++)
            Assert.Equal(big.LogHistory[i]["loss"]!.Value, acc.LogHistory[i]["loss"]!.Value, 1e-10);
        // The accumulated batches see the same examples: the first loss equals the token mean over the same 8 rows.
        Assert.True(diff > 0 || big.LogHistory[0]["loss"] == acc.LogHistory[0]["loss"]);
    }

    [Theory]
    [InlineData(FinetuningType.Full)]
    [InlineData(FinetuningType.Lora)]
    [InlineData(FinetuningType.Freeze)]
    [InlineData(FinetuningType.PrefixTuning)]
    [InlineData(FinetuningType.PromptTuning)]
    [InlineData(FinetuningType.PTuning)]
    [InlineData(FinetuningType.Ia3)]
    [InlineData(FinetuningType.Bottleneck)]
    public void A_few_steps_change_every_trainable_parameter_and_no_frozen_one(FinetuningType finetuning)
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows(16));
        var o = Options(data).with_(x => { x.Finetuning = finetuning; x.MaxSteps = 3; x.FreezeTrainableLayers = 1; x.FreezeTrainHead = false; x.NumVirtualTokens = 4; });
        Dictionary<string, float[]>? before = null, after = null;
        HashSet<string>? trainable = null;
        long liveAtStep1 = 0, liveAtStep3 = 0;
        static Dictionary<string, float[]> Copy(Alignment.Torch.torch.nn.Module m) =>
            m.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to(ScalarType.Float32).data<float>());
        var hooks = new RunHooks
        {
            OnStart = model =>
            {
                before = Copy(model);
                trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
            },
            OnStepEnd = (step, model) =>
            {
                GC.Collect();
                if (step == 1) liveAtStep1 = Tensor.LiveCount;
                if (step == 3)
                {
                    liveAtStep3 = Tensor.LiveCount;
                    after = Copy(model);
                }
            },
        };
        SftTrainer.Run(o, world.NewOutput("run"), null, hooks);
        Assert.NotNull(after);
        Assert.NotEmpty(trainable!);
        foreach (var (name, values) in before!)
        {
            bool changed = !values.AsSpan().SequenceEqual(after![name]);
            bool isTrainable = trainable!.Contains(name);
            Assert.True(changed == isTrainable, $"{finetuning}: {name} trainable={isTrainable} changed={changed}");
        }
        if (finetuning == FinetuningType.Lora) Assert.All(trainable!, n => Assert.Contains(".lora_", n));
        if (finetuning == FinetuningType.Ia3) Assert.All(trainable!, n => Assert.EndsWith(".ia3_l", n));
        if (finetuning.IsPromptLearning()) Assert.All(trainable!, n => Assert.StartsWith("model.prompt_encoder.", n));
        if (finetuning == FinetuningType.Bottleneck) Assert.All(trainable!, n => Assert.Contains("_adapter.adapter_", n));
        Assert.Equal(liveAtStep1, liveAtStep3);   // one dispose scope per micro-step: no tensor drift
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Qlora_trains_the_adapters_over_quantized_base_weights(int bits)
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows(16));
        var o = Options(data).with_(x => { x.Finetuning = FinetuningType.Lora; x.QuantizationBit = bits; x.Epochs = 15; x.LoraDropout = 0; x.LearningRate = 1e-2; });
        HashSet<string>? trainable = null;
        bool fourBit = false;
        var hooks = new RunHooks
        {
            OnStart = model =>
            {
                trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToHashSet();
                fourBit = model.named_modules().Any(m => m.module is Alignment.Models.Core.LoraLinear { quantized: not null });
            },
        };
        string output = world.NewOutput($"qlora{bits}");
        var result = SftTrainer.Run(o, output, null, hooks);
        Assert.True(fourBit);
        Assert.All(trainable!, n => Assert.Contains(".lora_", n));
        // The same run over the float base: QLoRA's loss follows LoRA's (the bases differ by the 4-bit or 8-bit rounding
        // only). Single steps swing by ±0.08 here, so the end of each run is the mean of its last five logged losses.
        var lora = SftTrainer.Run(o.with_(x => x.QuantizationBit = 0), world.NewOutput($"lora{bits}"));
        static double End(IReadOnlyList<Dictionary<string, double?>> h) => h.TakeLast(5).Average(x => x["loss"]!.Value);
        double first = result.LogHistory[0]["loss"]!.Value, last = End(result.LogHistory);
        double loraFirst = lora.LogHistory[0]["loss"]!.Value, loraLast = End(lora.LogHistory);
        Assert.True(first - last > 0.5, $"QLoRA loss {first} -> {last} (LoRA {loraFirst} -> {loraLast})");
        Assert.True(Math.Abs(last - loraLast) < 0.1 * (loraFirst - loraLast), $"QLoRA loss {first} -> {last}, LoRA {loraFirst} -> {loraLast}");
        Assert.True(File.Exists(Path.Combine(output, "adapter_config.json")));
    }

    [Theory]
    [InlineData(FinetuningType.Lora)]
    [InlineData(FinetuningType.Full)]
    public void Gradient_checkpointing_trains_to_the_same_weights_and_is_in_effect(FinetuningType finetuning)
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows(16));
        SftOptions Make(bool gc) => Options(data).with_(x =>
        {
            x.Finetuning = finetuning; x.MaxSteps = 3; x.LoraDropout = 0.2; x.GradientCheckpointing = gc;
        });
        bool? enabled = null;
        var hooks = new RunHooks
        {
            OnStart = model => enabled = model.named_modules().Select(m => m.module).OfType<LlamaModel>().Single().gradient_checkpointing,
        };
        var kept = SftTrainer.Run(Make(false), world.NewOutput($"kept-{finetuning}"));
        var recomputed = SftTrainer.Run(Make(true), world.NewOutput($"gc-{finetuning}"), null, hooks);
        Assert.True(enabled);
        // Three AdamW steps (dropout 0.2 on the adapters' inputs with LoRA): the rerun draws the same masks, so the runs
        // differ by float32 summation order only.
        double diff = TrainerAssert.MaxAbsDifference(TrainerAssert.Weights(world.NewOutput($"kept-{finetuning}")),
                                                     TrainerAssert.Weights(world.NewOutput($"gc-{finetuning}")));
        Assert.True(diff < 1e-5, $"weights differ by {diff}");
        for (int i = 0; i < 3; i++)
            Assert.Equal(kept.LogHistory[i]["loss"]!.Value, recomputed.LogHistory[i]["loss"]!.Value, 1e-5);
    }

    [Fact]
    public void Gradient_checkpointing_layers_reach_the_decoder_and_bad_counts_are_refused()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows(4));
        int? layers = null;
        var hooks = new RunHooks
        {
            OnStart = model => layers = model.named_modules().Select(m => m.module).OfType<LlamaModel>().Single().gradient_checkpointing_layers,
        };
        SftTrainer.Run(Options(data).with_(x => { x.MaxSteps = 1; x.GradientCheckpointing = true; x.GradientCheckpointingLayers = 1; }),
                       world.NewOutput("gc-layers"), null, hooks);
        Assert.Equal(1, layers);
        var e = Assert.Throws<ConfigException>(() => SftTrainer.Run(Options(data).with_(x => x.GradientCheckpointingLayers = 1), world.NewOutput("bad")));
        Assert.Contains("needs 'gradient_checkpointing'", e.Message);
        e = Assert.Throws<ConfigException>(() => SftTrainer.Run(Options(data).with_(x => { x.GradientCheckpointing = true; x.GradientCheckpointingLayers = -2; }),
                                                                world.NewOutput("bad")));
        Assert.Contains("gradient_checkpointing_layers", e.Message);
    }

    [Theory]
    [InlineData(FinetuningType.Full, 4, "use finetuning lora")]
    [InlineData(FinetuningType.Freeze, 4, "use finetuning lora")]
    [InlineData(FinetuningType.Lora, 3, "use 4")]
    [InlineData(FinetuningType.Full, 8, "use finetuning lora")]
    public void Bad_quantization_options_are_refused_before_any_work(FinetuningType finetuning, int bits, string expected)
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows(4));
        var o = Options(data).with_(x => { x.Finetuning = finetuning; x.QuantizationBit = bits; });
        var e = Assert.Throws<ConfigException>(() => SftTrainer.Run(o, world.NewOutput("bad")));
        Assert.Contains("quantization_bit", e.Message);
        Assert.Contains(expected, e.Message);
    }
}

internal static class OptionsExtensions
{
    public static T with_<T>(this T options, Action<T> change)
    {
        change(options);
        return options;
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TrainingCollection
{
    // Trainers seed libtorch's process-wide default generator (dropout): runs must not interleave.
    public const string Name = "training (sequential)";
}
