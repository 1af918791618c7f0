using System.Text.Json.Nodes;
using Alignment.Models.Lora;
using Alignment.Models.Qat;
using Alignment.Torch;
using Alignment.Torch.IO;
using Alignment.Training.Config;
using Alignment.Training.Metrics;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;

namespace Alignment.Training.Tests.Trainers;

// The LoRA variants, GaLore and quantization-aware training selected by options and run through the SFT trainer:
// what reaches the layers and the files, and the combinations refused before any work.
[Collection(TrainingCollection.Name)]
public sealed class LoraVariantTrainingTests : IDisposable
{
    private readonly TinyWorld world = new();

    public void Dispose() => world.Dispose();

    private SftOptions Options(string data, Action<SftOptions> set)
    {
        var o = new SftOptions
        {
            Model = world.Model, Data = data, Template = "plain", MaxLength = 32, BatchSize = 8, LearningRate = 3e-3,
            LrScheduler = "constant", MaxSteps = 3, LoggingSteps = 1, SaveSteps = 0,
        };
        set(o);
        return o;
    }

    [Fact]
    public void Rslora_and_dora_options_reach_the_adapter_and_its_peft_files()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        string output = world.NewOutput("dora");
        SftTrainer.Run(Options(data, o => { o.Finetuning = FinetuningType.Lora; o.UseRslora = true; o.UseDora = true; o.LoraR = 4; o.LoraAlpha = 8; }), output);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(output, LoraModel.ConfigFile)))!;
        Assert.True(cfg["use_rslora"]!.GetValue<bool>());
        Assert.True(cfg["use_dora"]!.GetValue<bool>());
        using var f = SafetensorsFile.Open(Path.Combine(output, LoraModel.WeightsFile));
        var magnitudes = f.Names.Where(n => n.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(magnitudes);
        Assert.Equal(f.Names.Count(n => n.EndsWith(".lora_A.weight", StringComparison.Ordinal)), magnitudes.Count);
        // The trained adapter loads back onto the base with rsLoRA's scaling alpha/√r = 4.
        using var model = Alignment.Models.Llama.LlamaForCausalLM.from_pretrained(world.Model);
        LoraModel.load_adapter(model, output);
        Assert.All(LoraModel.AdaptedLayers(model), l => Assert.Equal(4.0, l.layer.scaling, 12));
    }

    [Fact]
    public void A_pissa_run_saves_a_rank_2r_lora_for_the_original_base()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        string output = world.NewOutput("pissa");
        SftTrainer.Run(Options(data, o => { o.Finetuning = FinetuningType.Lora; o.InitLoraWeights = "pissa_niter_4"; o.LoraR = 4; o.LoraAlpha = 8; o.LoraDropout = 0; }), output);
        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(output, LoraModel.ConfigFile)))!;
        Assert.Equal(8, cfg["r"]!.GetValue<int>());
        Assert.Equal(16, cfg["lora_alpha"]!.GetValue<double>());
        Assert.True(cfg["init_lora_weights"]!.GetValue<bool>());
    }

    [Fact]
    public void A_galore_run_trains_every_weight_with_less_optimizer_state_than_adamw()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        string output = world.NewOutput("galore");
        var o = Options(data, x => { x.UseGalore = true; x.GaloreRank = 4; x.GaloreUpdateInterval = 2; x.GaloreScale = 0.25; x.MaxSteps = 6; });
        var result = SftTrainer.Run(o, output);
        Assert.True(result.LogHistory[^1]["loss"] < result.LogHistory[0]["loss"], "GaLore did not reduce the loss");
        var before = TrainerAssert.Weights(world.Model);
        var after = TrainerAssert.Weights(output);
        Assert.All(before.Keys.Where(k => k.Contains(".layers.") && k.EndsWith("proj.weight", StringComparison.Ordinal)),
                   k => Assert.True(TrainerAssert.MaxAbsDifference(new() { [k] = before[k] }, new() { [k] = after[k] }) > 0, $"{k} did not change"));
        using var model = TrainableModel.CausalLm(o, new Generator(1));
        var (adamw, galore) = GaLore.StateBytes(model, o);
        Assert.True(galore < adamw, $"GaLore state {galore} B is not below AdamW's {adamw} B");
    }

    [Fact]
    public void Quantization_aware_training_reports_quantized_and_float_eval_loss_and_exports_int8()
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        string output = world.NewOutput("qat");
        SftTrainer.Run(Options(data, o => { o.QatBits = 8; o.EvalData = data; }), output);
        var rows = MetricsWriter.Read(Path.Combine(output, "metrics.jsonl"));
        var eval = rows.Last(r => r.ContainsKey("eval_loss"));
        Assert.True(eval["eval_float_loss"] is double f && double.IsFinite(f));
        Assert.NotEqual(eval["eval_loss"], eval["eval_float_loss"]);   // int8 weights compute a different model
        Assert.True(File.Exists(Path.Combine(output, QatModel.WeightsFile)));
        Assert.Contains("\"bits\": 8", File.ReadAllText(Path.Combine(output, QatModel.ConfigFile)));
    }

    [Theory]
    [InlineData("dora+pissa", "DoRA with PiSSA/OLoRA is not supported")]
    [InlineData("init-eva", "init_lora_weights 'eva' is not supported")]
    [InlineData("dora-full", "apply to finetuning lora only")]
    [InlineData("galore-lora", "'use_galore' needs finetuning full")]
    [InlineData("galore-proj", "'galore_proj_type' is 'full'")]
    [InlineData("galore-layerwise", "'galore_layerwise' is not supported")]
    [InlineData("qat-3", "'qat_bits' must be 0 (off), 4 or 8")]
    [InlineData("qat-lora", "'qat_bits' needs finetuning full or freeze")]
    [InlineData("qat-noeval", "'qat_bits' needs eval_data")]
    [InlineData("rank-above", "r = 1000 is above the size of")]
    [InlineData("galore-rank-above", "GaLore rank 1000 is above the size")]
    public void Bad_combinations_are_refused_before_training(string what, string message)
    {
        string data = world.WriteJsonl("sft.jsonl", TinyWorld.SftRows());
        string output = world.NewOutput("bad-" + what);
        var o = Options(data, x =>
        {
            switch (what)
            {
                case "dora+pissa": x.Finetuning = FinetuningType.Lora; x.UseDora = true; x.InitLoraWeights = "pissa"; break;
                case "init-eva": x.Finetuning = FinetuningType.Lora; x.InitLoraWeights = "eva"; break;
                case "dora-full": x.UseDora = true; break;
                case "galore-lora": x.Finetuning = FinetuningType.Lora; x.UseGalore = true; break;
                case "galore-proj": x.UseGalore = true; x.GaloreProjType = "full"; break;
                case "galore-layerwise": x.UseGalore = true; x.GaloreLayerwise = true; break;
                case "qat-3": x.QatBits = 3; x.EvalData = data; break;
                case "qat-lora": x.QatBits = 8; x.EvalData = data; x.Finetuning = FinetuningType.Lora; break;
                case "qat-noeval": x.QatBits = 8; break;
                case "rank-above": x.Finetuning = FinetuningType.Lora; x.LoraR = 1000; break;
                case "galore-rank-above": x.UseGalore = true; x.GaloreRank = 1000; break;
            }
        });
        var e = Assert.Throws<ConfigException>(() => SftTrainer.Run(o, output));
        Assert.Contains(message, e.Message);
        Assert.False(File.Exists(Path.Combine(output, "metrics.jsonl")) && File.ReadAllText(Path.Combine(output, "metrics.jsonl")).Length > 0,
                     "a refused run wrote metrics");
    }
}
