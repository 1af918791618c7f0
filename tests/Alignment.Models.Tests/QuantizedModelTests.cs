using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Models.Checkpoints;
using Alignment.Models.Core;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Models.Quantization;
using Alignment.Torch.IO;

namespace Alignment.Models.Tests;

// 4-bit and int8 base weights: a quantized model computes what its dequantized float copy computes; bitsandbytes' checkpoint
// layout (transformers' key names, dtypes, shapes, the quant_state JSON) is written and read back byte for byte;
// LoRA over a 4-bit layer gets the float path's gradients; bad combinations are clear errors.
public class QuantizedModelTests
{
    private static readonly long[] Seq = [3, 9, 17, 4, 22, 8, 1, 30, 5, 12];
    private static readonly QuantizationOptions Nf4Double = new();

    private static LlamaConfig Config() => TinyModels.Config("llama", vocab: 64, hidden: 64, layers: 2, heads: 4, kvHeads: 2, intermediate: 160)
        with { InitializerRange = 0.5 };

    private static Tensor Logits(LlamaForCausalLM m)
    {
        using var noGrad = no_grad();
        return m.forward(tensor(Seq, new long[] { 1, Seq.Length })).logits;
    }

    // The float model whose projections are the quantized model's weights, dequantized.
    private static LlamaForCausalLM DequantizedCopy(LlamaForCausalLM quantized)
    {
        using var g = new Generator(1);
        var m = LlamaForCausalLM.from_config(quantized.config, g);
        var layers = quantized.QuantizableLayers().ToDictionary(l => l.name, l => l.layer);
        using var noGrad = no_grad();
        foreach (var (name, t) in m.state_dict())
            if (quantized.state_dict().TryGetValue(name, out var v)) t.copy_(v);
        foreach (var (name, layer) in m.QuantizableLayers())
        {
            using var w = layers[name].quantized!.Dequantize(ScalarType.Float32);
            layer.weight.copy_(w);
        }
        return m;
    }

    [Theory]
    [InlineData("nf4", true)]
    [InlineData("fp4", false)]
    public void Quantized_logits_equal_the_dequantized_float_copy(string type, bool doubleQuant)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        using var q = LlamaForCausalLM.from_config(Config(), g, quantization: new QuantizationOptions { QuantType = type, DoubleQuant = doubleQuant });
        Assert.All(q.QuantizableLayers(), l => Assert.NotNull(l.layer.quantized));
        Assert.Equal(14, q.QuantizableLayers().Count());   // 7 projections × 2 layers; lm_head stays float
        using var f = DequantizedCopy(q);
        // The same weights, so only the summation order differs (bands of rows vs one matmul): float32 rounding.
        Assert.True(Tiny.MaxAbsDiff(Logits(f), Logits(q)) < 1e-5);

        // and the 4-bit model is not the float model it was drawn as (quantization error)
        using var g2 = new Generator(1);
        using var full = LlamaForCausalLM.from_config(Config(), g2);
        double diff = Tiny.MaxAbsDiff(Logits(full), Logits(q));
        Assert.True(diff > 1e-3, $"quantized vs float logits differ by only {diff}");
    }

    [Fact]
    public void From_config_with_quantization_equals_quantizing_the_float_model()
    {
        using var scope = NewDisposeScope();
        using var g1 = new Generator(3);
        using var a = LlamaForCausalLM.from_config(Config(), g1, quantization: Nf4Double);
        using var g2 = new Generator(3);
        using var b = LlamaForCausalLM.from_config(Config(), g2);
        b.quantize_(Nf4Double);
        foreach (var ((_, la), (_, lb)) in a.QuantizableLayers().Zip(b.QuantizableLayers()))
        {
            var (qa, qb) = ((Quant4Weight)la.quantized!, (Quant4Weight)lb.quantized!);
            Assert.Equal(qb.Packed.data<byte>(), qa.Packed.data<byte>());
            Assert.Equal(qb.StoredAbsmax.data<byte>(), qa.StoredAbsmax.data<byte>());
        }
    }

    [Fact]
    public void Bnb_folder_has_transformers_layout_and_round_trips_byte_for_byte()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var g = new Generator(2);
        using (var q = LlamaForCausalLM.from_config(Config(), g, quantization: Nf4Double))
            q.save_pretrained(dir.Sub("a"));

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Sub("a"), "config.json")))!["quantization_config"]!;
        Assert.Equal("bitsandbytes", config["quant_method"]!.GetValue<string>());
        Assert.True(config["load_in_4bit"]!.GetValue<bool>());
        Assert.Equal("nf4", config["bnb_4bit_quant_type"]!.GetValue<string>());
        Assert.True(config["bnb_4bit_use_double_quant"]!.GetValue<bool>());

        using (var ckpt = ShardedCheckpoint.Open(dir.Sub("a")))
        {
            const string p = "model.layers.0.mlp.down_proj.";   // (64, 160): 10240 values, 160 blocks, 1 nested block
            void Is(string key, ScalarType dtype, params long[] shape)
            {
                var info = ckpt.Info(p + key);
                Assert.Equal(dtype, info.DType);
                Assert.Equal(shape, info.Shape);
            }
            Is("weight", ScalarType.Byte, 5120, 1);
            Is("weight.absmax", ScalarType.Byte, 160);
            Is("weight.quant_map", ScalarType.Float32, 16);
            Is("weight.nested_absmax", ScalarType.Float32, 1);
            Is("weight.nested_quant_map", ScalarType.Float32, 256);
            using var state = ckpt.Load(p + "weight.quant_state.bitsandbytes__nf4");
            string json = Encoding.UTF8.GetString(state.data<byte>());
            // QuantState.as_dict(packed=True): json.dumps of the non-tensor items in this order, Python's separators.
            const string head = "{\"quant_type\": \"nf4\", \"blocksize\": 64, \"dtype\": \"float32\", \"shape\": [64, 160], " +
                                "\"nested_blocksize\": 256, \"nested_dtype\": \"float32\", \"nested_offset\": ";
            Assert.Equal(head, json[..Math.Min(json.Length, head.Length)]);
            Assert.EndsWith("}", json);
            double offset = JsonDocument.Parse(json).RootElement.GetProperty("nested_offset").GetDouble();
            Assert.InRange(offset, 0.8, 1.6);   // the mean absmax of N(0, 0.5²) weights in blocks of 64 (about 2.4σ)
            Assert.False(ckpt.Contains("lm_head.weight.absmax"));
            Assert.Equal(ScalarType.Float32, ckpt.Info("lm_head.weight").DType);
        }

        using (var back = LlamaForCausalLM.from_pretrained(dir.Sub("a")))
        {
            Assert.Equal(Nf4Double, back.quantization);
            back.save_pretrained(dir.Sub("b"));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Sub("a"), "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(dir.Sub("b"), "model.safetensors")));
    }

    [Fact]
    public void Quantize_on_load_from_a_float_folder_equals_quantizing_in_memory()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        string folder = TinyModels.CreateFolder(dir.Sub("float"), Config(), 4);
        var fp4 = new QuantizationOptions { QuantType = "fp4", DoubleQuant = false };
        using var loaded = LlamaForCausalLM.from_pretrained(folder, quantization: fp4);
        using var reference = LlamaForCausalLM.from_pretrained(folder);
        reference.quantize_(fp4);
        Assert.Equal(fp4, loaded.quantization);
        Assert.Equal(Logits(reference).data<float>(), Logits(loaded).data<float>());
        // a different setting than a 4-bit checkpoint's is refused before anything loads
        loaded.save_pretrained(dir.Sub("q"));
        var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(dir.Sub("q"), quantization: Nf4Double));
        Assert.Contains("already bitsandbytes 4-bit", e.Message);
    }

    [Theory]
    [InlineData(4)]
    [InlineData(8)]
    public void Lora_gradients_through_a_quantized_layer_equal_the_float_path(int bits)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(9);
        var q = new LoraLinear(130, 70, bias: true, ScalarType.Float64);
        using (no_grad())
        {
            q.weight.copy_(randn([70, 130], float64, generator: g));
            q.bias!.copy_(randn([70], float64, generator: g));
        }
        q.quantize_(bits == 8 ? Int8 : Nf4Double);
        var f = new LoraLinear(130, 70, bias: true, ScalarType.Float64);
        using (no_grad())
        {
            f.weight.copy_(q.quantized!.Dequantize(ScalarType.Float64));
            f.bias!.copy_(q.bias!);
        }
        using var ga = new Generator(10);
        using var gb = new Generator(10);
        q.add_lora(4, 8, 0, false, ScalarType.Float64, ga);
        f.add_lora(4, 8, 0, false, ScalarType.Float64, gb);
        using (no_grad())
        {
            q.lora_B.copy_(randn([70, 4], float64, generator: g));
            f.lora_B.copy_(q.lora_B);
        }
        var x = randn([3, 130], float64, generator: g);
        var w = randn([3, 70], float64, generator: g);
        var xq = x.clone().requires_grad_();
        var xf = x.clone().requires_grad_();
        (q.forward(xq) * w).sum().backward();
        (f.forward(xf) * w).sum().backward();
        Assert.True(Tiny.MaxAbsDiff(f.lora_A.grad!, q.lora_A.grad!) < 1e-10);
        Assert.True(Tiny.MaxAbsDiff(f.lora_B.grad!, q.lora_B.grad!) < 1e-10);
        Assert.True(Tiny.MaxAbsDiff(xf.grad!, xq.grad!) < 1e-10);
        Assert.Empty(q.named_parameters().Where(p => p.name == "weight"));   // nothing float left to train
    }

    [Fact]
    public void Bad_combinations_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        using var q = LlamaForCausalLM.from_config(Config(), g, quantization: Nf4Double);
        var e = Assert.Throws<ModelException>(() => LoraModel.add_adapters(q, new LoraConfig { UseDora = true, TargetModules = ["q_proj"] }, g));
        Assert.Contains("4-bit", e.Message);
        LoraModel.add_adapters(q, new LoraConfig { TargetModules = ["q_proj"] }, g);
        e = Assert.Throws<ModelException>(() => LoraModel.merge_and_unload(q));
        Assert.Contains("4-bit", e.Message);
        e = Assert.Throws<ModelException>(() => q.QuantizableLayers().First().layer.weight);
        Assert.Contains("4-bit", e.Message);
        e = Assert.Throws<ModelException>(() => new QuantizationOptions { Bits = 3 }.Validate("quantization"));
        Assert.Contains("bits 3", e.Message);
    }

    [Theory]
    [InlineData("{\"quant_method\": \"bitsandbytes\", \"load_in_8bit\": true, \"llm_int8_has_fp16_weight\": true}", "llm_int8_has_fp16_weight")]
    [InlineData("{\"quant_method\": \"bitsandbytes\", \"load_in_8bit\": false, \"load_in_4bit\": false}", "neither")]
    [InlineData("{\"quant_method\": \"gptq\", \"bits\": 4}", "gptq")]
    [InlineData("{\"quant_method\": \"bitsandbytes\", \"load_in_4bit\": true, \"bnb_4bit_quant_type\": \"int4\"}", "int4")]
    public void Unsupported_quantization_configs_are_refused_naming_the_field(string qc, string expected)
    {
        using var dir = new TempDir();
        var obj = JsonNode.Parse(JsonSerializer.Serialize(Config(), new JsonSerializerOptions { DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull }))!.AsObject();
        obj["quantization_config"] = JsonNode.Parse(qc);
        File.WriteAllText(dir.Sub("config.json"), obj.ToJsonString());
        var e = Assert.Throws<ModelException>(() => LlamaConfig.Load(dir.Path).Validate("config.json"));
        Assert.Contains("quantization_config", e.Message);
        Assert.Contains(expected, e.Message);
    }

    private static readonly QuantizationOptions Int8 = new() { Bits = 8 };

    [Fact]
    public void Int8_logits_equal_the_dequantized_float_copy()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(1);
        using var q = LlamaForCausalLM.from_config(Config(), g, quantization: Int8);
        Assert.All(q.QuantizableLayers(), l => Assert.IsType<Quant8Weight>(l.layer.quantized));
        using var f = DequantizedCopy(q);
        Assert.True(Tiny.MaxAbsDiff(Logits(f), Logits(q)) < 1e-5);
        // int8 per row is closer to the float model than NF4 is, but not equal to it
        using var g2 = new Generator(1);
        using var full = LlamaForCausalLM.from_config(Config(), g2);
        using var g3 = new Generator(1);
        using var nf4 = LlamaForCausalLM.from_config(Config(), g3, quantization: Nf4Double);
        double diff = Tiny.MaxAbsDiff(Logits(full), Logits(q)), diff4 = Tiny.MaxAbsDiff(Logits(full), Logits(nf4));
        Assert.True(diff > 1e-6 && diff < diff4 / 2, $"int8 vs float logits {diff}, nf4 vs float {diff4}");
    }

    [Fact]
    public void Int8_folder_has_bitsandbytes_layout_and_round_trips_byte_for_byte()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        using var g = new Generator(2);
        using (var q = LlamaForCausalLM.from_config(Config(), g, quantization: Int8))
            q.save_pretrained(dir.Sub("a"));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Sub("a"), "config.json")))!["quantization_config"]!;
        Assert.Equal("bitsandbytes", config["quant_method"]!.GetValue<string>());
        Assert.True(config["load_in_8bit"]!.GetValue<bool>());
        Assert.False(config["load_in_4bit"]!.GetValue<bool>());
        using (var ckpt = ShardedCheckpoint.Open(dir.Sub("a")))
        {
            const string p = "model.layers.1.mlp.down_proj.";   // (64, 160)
            Assert.Equal(ScalarType.Int8, ckpt.Info(p + "weight").DType);
            Assert.Equal(new long[] { 64, 160 }, ckpt.Info(p + "weight").Shape);
            Assert.Equal(ScalarType.Float32, ckpt.Info(p + "SCB").DType);
            Assert.Equal(new long[] { 64 }, ckpt.Info(p + "SCB").Shape);
            Assert.Equal(ScalarType.Byte, ckpt.Info(p + "weight_format").DType);
            Assert.Empty(ckpt.Info(p + "weight_format").Shape);   // a scalar, as Linear8bitLt._save_to_state_dict writes it
            using var scb = ckpt.Load(p + "SCB");
            using var w = ckpt.Load(p + "weight");
            // SCB is each row's absmax, and the row's largest value is stored as ±127
            Assert.Equal(127, w.to(ScalarType.Int32).abs().max(1).values.min().ToInt64());
            Assert.True(scb.min().ToSingle() > 0);
            Assert.False(ckpt.Contains("lm_head.SCB"));
        }
        using (var back = LlamaForCausalLM.from_pretrained(dir.Sub("a")))
        {
            Assert.Equal(Int8, back.quantization);
            back.save_pretrained(dir.Sub("b"));
        }
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir.Sub("a"), "model.safetensors")),
                     File.ReadAllBytes(Path.Combine(dir.Sub("b"), "model.safetensors")));
    }

    [Fact]
    public void Int8_quantize_on_load_equals_quantizing_in_memory_and_other_layouts_are_refused()
    {
        using var scope = NewDisposeScope();
        using var dir = new TempDir();
        string folder = TinyModels.CreateFolder(dir.Sub("float"), Config(), 4);
        using var loaded = LlamaForCausalLM.from_pretrained(folder, quantization: Int8);
        using var reference = LlamaForCausalLM.from_pretrained(folder);
        reference.quantize_(Int8);
        Assert.Equal(Logits(reference).data<float>(), Logits(loaded).data<float>());
        loaded.save_pretrained(dir.Sub("q"));
        var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(dir.Sub("q"), quantization: Nf4Double));
        Assert.Contains("already bitsandbytes 8-bit", e.Message);

        // an older bitsandbytes' tiled layout (weight_format 1 = col32) is refused naming the tensor
        var tensors = new Dictionary<string, Tensor>();
        using (var ckpt = ShardedCheckpoint.Open(dir.Sub("q")))
            foreach (string k in ckpt.Names) tensors[k] = ckpt.Load(k);
        tensors["model.layers.0.self_attn.q_proj.weight_format"] = tensor(new byte[] { 1 }, Array.Empty<long>());
        Safetensors.Save(Path.Combine(dir.Sub("q"), "model.safetensors"), tensors);
        e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(dir.Sub("q")));
        Assert.Contains("model.layers.0.self_attn.q_proj.weight_format", e.Message);
        Assert.Contains("row-major", e.Message);
    }

    [Theory]
    [InlineData(0.0123, "0.0123")]
    [InlineData(1.0, "1.0")]
    [InlineData(1e-05, "1e-05")]
    [InlineData(0.0001, "0.0001")]
    [InlineData(123.5, "123.5")]
    [InlineData(1e16, "1e+16")]
    [InlineData(0.1 + 0.2, "0.30000000000000004")]
    [InlineData(2.5e-07, "2.5e-07")]
    public void Quant_state_floats_are_written_as_python_repr(double value, string python) =>
        Assert.Equal(python, Quant4Weight.PythonFloat(value));
}
