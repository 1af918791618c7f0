using System.Text.Json.Nodes;
using Alignment.Models.Core;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Torch.IO;
using static Alignment.Torch.torch.optim;

namespace Alignment.Models.Tests;

// LoRA: PEFT's initialization and scaling, base frozen, merge equals the unmerged model, PEFT's file layout, training
// touches only the adapter, freeze tuning.
public class LoraTests
{
    private static readonly long[] Seq = [3, 9, 17, 4, 22, 8, 1, 30];

    private static Tensor Logits(LlamaForCausalLM m)
    {
        using var noGrad = no_grad();
        return m.forward(tensor(Seq, new long[] { 1, Seq.Length })).logits;
    }

    // Random B so the adapter changes the output (PEFT starts B at zero).
    private static void RandomizeB(nn.Module m, ulong seed)
    {
        using var g = new Generator(seed);
        using var noGrad = no_grad();
        foreach (var (_, layer) in LoraModel.AdaptedLayers(m))
            using (NewDisposeScope()) layer.lora_B.copy_(randn(layer.lora_B.shape, generator: g).mul(0.3));
    }

    [Fact]
    public void Adapters_go_on_the_named_projections_of_every_layer_and_freeze_the_base()
    {
        using var model = Tiny.Model();
        using var g = new Generator(1);
        var names = LoraModel.add_adapters(model, new LoraConfig { TargetModules = ["q_proj", "v_proj"] }, g);
        Assert.Equal(["model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj"], names);
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).Select(p => p.name).ToList();
        Assert.Equal(8, trainable.Count);
        Assert.All(trainable, n => Assert.Matches(@"\.lora_[AB]\.weight$", n));

        using var all = Tiny.Model();
        var allNames = LoraModel.add_adapters(all, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, g);
        Assert.Equal(14, allNames.Count);   // 7 linear layers × 2 decoder layers; never lm_head
        Assert.DoesNotContain(allNames, n => n.Contains("lm_head"));
    }

    [Fact]
    public void Disabled_adapters_give_the_base_model_exactly_and_come_back_on_dispose()
    {
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        var baseLogits = Logits(model);
        using var g = new Generator(5);
        model.eval();   // no LoRA dropout: two forwards of the adapted model agree
        LoraModel.add_adapters(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, g);
        RandomizeB(model, 6);
        var adapted = Logits(model);
        Assert.True(Tiny.MaxAbsDiff(baseLogits, adapted) > 1e-3);       // the adapter changes the output
        using (LoraModel.disable_adapters(model))
            Assert.Equal(0, Tiny.MaxAbsDiff(baseLogits, Logits(model)));  // the same ops on the same weights: bit-equal
        Assert.Equal(0, Tiny.MaxAbsDiff(adapted, Logits(model)));
    }

    [Fact]
    public void A_starts_kaiming_uniform_B_starts_at_zero_so_the_model_is_unchanged()
    {
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        var before = Logits(model);
        using var g = new Generator(2);
        LoraModel.add_adapters(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear] }, g);
        foreach (var (_, layer) in LoraModel.AdaptedLayers(model))
        {
            double bound = 1 / Math.Sqrt(layer.in_features);   // kaiming_uniform_(a=√5): gain √(1/3) · √(3/fan_in)
            var a = layer.lora_A.data<float>();
            Assert.All(a, x => Assert.InRange(x, -bound, bound));
            Assert.True(a.Max() > bound * 0.5 && a.Min() < -bound * 0.5);
            Assert.All(layer.lora_B.data<float>(), x => Assert.Equal(0f, x));
            Assert.Equal(new long[] { 8, layer.in_features }, layer.lora_A.shape);
            Assert.Equal(new long[] { layer.out_features, 8 }, layer.lora_B.shape);
        }
        Assert.Equal(0, Tiny.MaxAbsDiff(before, Logits(model)));
    }

    [Theory]
    [InlineData(false, 16.0 / 4)]           // alpha / r
    [InlineData(true, 16.0 / 2)]            // rsLoRA: alpha / √r
    public void Update_is_scaling_times_B_A_x(bool rslora, double scaling)
    {
        using var layer = new LoraLinear(6, 5, bias: true, ScalarType.Float32);
        using var g = new Generator(3);
        using var scope = NewDisposeScope();
        layer.weight.normal_(0, 1, g);
        layer.bias!.normal_(0, 1, g);
        layer.add_lora(4, 16, 0.0, rslora, ScalarType.Float32, g);
        using (no_grad()) layer.lora_B.normal_(0, 1, g);
        Assert.Equal(scaling, layer.scaling, 12);

        var x = randn(new long[] { 3, 6 }, generator: g);
        var expected = x.matmul(layer.weight.t()).add(layer.bias!)
                        .add(x.matmul(layer.lora_A.t()).matmul(layer.lora_B.t()).mul(scaling));
        Assert.True(Tiny.MaxAbsDiff(expected, layer.forward(x)) < 1e-5);
    }

    [Theory]
    [InlineData(ScalarType.Float32, 1e-5)]
    // bf16: merging rounds W + ΔW to 8 bits where the unmerged model adds a float32 update. In this wide-weight model bf16
    // compute by itself moves the logits by ~3 % of their range (the same weights run in float32 differ by 0.30 at 9.5).
    [InlineData(ScalarType.BFloat16, 6e-2)]
    public void Merged_model_gives_the_logits_of_the_unmerged_lora_model(ScalarType dtype, double relativeTolerance)
    {
        using var model = Tiny.Model(dtype: dtype);
        using var g = new Generator(4);
        LoraModel.add_adapters(model, new LoraConfig { TargetModules = [LoraConfig.AllLinear], LoraDropout = 0.1 }, g);
        Assert.All(LoraModel.AdaptedLayers(model), l => Assert.Equal(ScalarType.Float32, l.layer.lora_A.dtype));
        RandomizeB(model, 5);
        model.eval();   // dropout off
        using var scope = NewDisposeScope();
        var unmerged = Logits(model);
        LoraModel.merge_and_unload(model);
        Assert.Empty(LoraModel.AdaptedLayers(model));
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("lora_"));
        var merged = Logits(model);
        double diff = Tiny.MaxAbsDiff(unmerged, merged), scale = unmerged.to(float64).abs().max().item<double>();
        Assert.True(diff <= relativeTolerance * scale, $"merged vs unmerged: {diff} with logits up to {scale}");
        using var baseModel = Tiny.Model(dtype: dtype);
        Assert.True(Tiny.MaxAbsDiff(Logits(baseModel), merged) > 0.05, "the adapter had no effect, so the test proves nothing");
    }

    [Fact]
    public void Saved_adapter_has_peft_keys_and_config_and_loads_back_to_the_same_logits()
    {
        using var t = new TempDir();
        using var model = LlamaForCausalLM.from_pretrained(Fixtures.Folder("qwen3"));
        using var g = new Generator(6);
        LoraModel.add_adapters(model, new LoraConfig { R = 4, LoraAlpha = 8, LoraDropout = 0.05, UseRslora = true, TargetModules = ["v_proj", "q_proj", "down_proj"] }, g);
        RandomizeB(model, 7);
        model.eval();
        LoraModel.save_adapter(model, t.Sub("adapter"));

        using (var file = SafetensorsFile.Open(Path.Combine(t.Sub("adapter"), "adapter_model.safetensors")))
        {
            Assert.Equal(12, file.Names.Count());
            Assert.Equal(new long[] { 4, 24 }, file.Info("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight").Shape);
            Assert.Equal(new long[] { 32, 4 }, file.Info("base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight").Shape);  // 4 heads × head_dim 8
            Assert.Equal(new long[] { 24, 4 }, file.Info("base_model.model.model.layers.1.mlp.down_proj.lora_B.weight").Shape);
            Assert.DoesNotContain(file.Names, n => n.Contains(".default."));
            Assert.Equal("pt", file.Metadata["format"]);
        }
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(t.Sub("adapter"), "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", config["peft_type"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", config["task_type"]!.GetValue<string>());
        Assert.Equal(4, config["r"]!.GetValue<int>());
        Assert.Equal(8.0, config["lora_alpha"]!.GetValue<double>());
        Assert.Equal(0.05, config["lora_dropout"]!.GetValue<double>());
        Assert.True(config["use_rslora"]!.GetValue<bool>());
        Assert.Equal("none", config["bias"]!.GetValue<string>());
        Assert.False(config["fan_in_fan_out"]!.GetValue<bool>());
        Assert.False(config["use_dora"]!.GetValue<bool>());
        Assert.Equal(["down_proj", "q_proj", "v_proj"], config["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(Path.GetFullPath(Fixtures.Folder("qwen3")), config["base_model_name_or_path"]!.GetValue<string>());

        using var scope = NewDisposeScope();
        var expected = Logits(model);
        using var fresh = LlamaForCausalLM.from_pretrained(Fixtures.Folder("qwen3"));
        var loaded = LoraModel.load_adapter(fresh, t.Sub("adapter"));
        fresh.eval();
        Assert.True(loaded.UseRslora);
        Assert.Equal(0, Tiny.MaxAbsDiff(expected, Logits(fresh)));
        Assert.All(fresh.parameters(), p => Assert.False(p.requires_grad));   // inference load
    }

    [Fact]
    public void Adapters_for_another_base_or_with_unsupported_options_are_refused()
    {
        using var t = new TempDir();
        using var model = Tiny.Model();
        using var g = new Generator(8);
        LoraModel.add_adapters(model, new LoraConfig { TargetModules = ["q_proj"] }, g);
        LoraModel.save_adapter(model, t.Sub("a"));

        using var other = Tiny.Model(seed: 2);
        using var wider = LlamaForCausalLM.from_pretrained(Fixtures.Folder("llama3_rope"));   // hidden 24, not 32
        var e = Assert.Throws<ModelException>(() => LoraModel.load_adapter(wider, t.Sub("a")));
        Assert.Contains("Shape mismatches (4)", e.Message);
        Assert.Empty(LoraModel.AdaptedLayers(wider));   // a failed load leaves no half-made adapter

        var path = Path.Combine(t.Sub("a"), "adapter_config.json");
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["init_lora_weights"] = "eva";
        json["layers_to_transform"] = new JsonArray(0);
        File.WriteAllText(path, json.ToJsonString());
        e = Assert.Throws<ModelException>(() => LoraModel.load_adapter(other, t.Sub("a")));
        Assert.Contains("init_lora_weights 'eva' is not supported", e.Message);
        Assert.Contains("layers_to_transform", e.Message);

        var unknown = Assert.Throws<ModelException>(() => LoraModel.add_adapters(other, new LoraConfig { TargetModules = ["c_attn"] }, g));
        Assert.Contains("match no layer", unknown.Message);
        Assert.Contains("q_proj", unknown.Message);
    }

    [Fact]
    public void A_training_step_changes_only_the_adapter()
    {
        using var model = Tiny.Model();
        using var g = new Generator(9);
        LoraModel.add_adapters(model, new LoraConfig { TargetModules = ["q_proj", "v_proj", "up_proj"], LoraDropout = 0.1 }, g);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone().DetachFromDisposeScope());
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        using var opt = new AdamW(trainable, lr: 1e-2);
        torch.manual_seed(1);
        for (int step = 0; step < 2; step++)   // step 1 moves B off zero; step 2 then gives A a gradient too
        {
            using var scope = NewDisposeScope();
            var ids = tensor(Seq, new long[] { 1, Seq.Length });
            var lp = nn.functional.logprobs_of(model.forward(ids).logits.narrow(1, 0, Seq.Length - 1), ids.narrow(1, 1, Seq.Length - 1));
            lp.mean().neg().backward();
            opt.step();
            opt.zero_grad();
        }
        foreach (var (key, value) in model.state_dict())
        {
            double d = Tiny.MaxAbsDiff(before[key], value);
            if (key.Contains(".lora_")) Assert.True(d > 0, $"{key} did not change");
            else Assert.True(d == 0, $"{key} (frozen) changed by {d}");
        }
        foreach (var v in before.Values) v.Dispose();
    }

    [Fact]
    public void Freeze_tuning_trains_the_last_layers_and_optionally_embeddings_and_head()
    {
        using var model = Tiny.Model();
        var names = FreezeTuning.TrainLastLayers(model, 1);
        Assert.All(names, n => Assert.StartsWith("model.layers.1.", n));
        Assert.Equal(model.named_parameters().Count(p => p.name.StartsWith("model.layers.1.")), names.Count);
        Assert.False(model.model.layers[0].self_attn.q_proj.weight.requires_grad);

        names = FreezeTuning.TrainLastLayers(model, 0, trainEmbeddings: true, trainHead: true);
        Assert.Equal(["model.embed_tokens.weight", "lm_head.weight"], names);

        using var tied = Tiny.Model(tied: true);
        FreezeTuning.TrainLastLayers(tied, 0, trainHead: true);
        Assert.True(tied.lm_head.weight.requires_grad);   // the shared parameter
        Assert.Throws<ModelException>(() => FreezeTuning.TrainLastLayers(model, 3));
    }
}
