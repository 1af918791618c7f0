using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Models.Core;
using Alignment.Models.Lora;
using Alignment.Torch.IO;
using static Alignment.Torch.torch.nn;
using static Alignment.Torch.torch.optim;

namespace Alignment.Models.Tests;

// rsLoRA, DoRA, PiSSA (full and randomized SVD) and OLoRA on one linear layer against the PyTorch reference
// (reference/lora_variants_reference.py, PEFT's formulas run by PyTorch 1.13 in float32): the adapter after its
// initialization, the output, the gradients of sum(y·gy), the tensors after one AdamW step, the merge, and PiSSA/OLoRA's
// conversion to a plain rank-2r LoRA. Tolerance 2e-5 absolute (float32; a different summation order in a matmul or a
// norm moves the last bits), 1e-4 for the SVD/QR initializations.
public class LoraVariantTests
{
    private const double Tol = 2e-5, InitTol = 1e-4;

    private static readonly Lazy<JsonElement> Ref = new(() => JsonDocument.Parse(
        File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "lora_variants", "expected.json"))).RootElement);

    private static Tensor T(JsonElement e)
    {
        if (e[0].ValueKind != JsonValueKind.Array) return tensor(e.EnumerateArray().Select(x => x.GetSingle()).ToArray());
        var rows = e.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetSingle()).ToArray()).ToArray();
        return tensor(rows.SelectMany(r => r).ToArray(), [rows.Length, rows[0].Length]);
    }

    private static Tensor T(string key) => T(Ref.Value.GetProperty(key));
    private static Tensor C(string c, string key) => T(Ref.Value.GetProperty("cases").GetProperty(c).GetProperty(key));

    private static void Close(Tensor expected, Tensor actual, double tol, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        double d = Tiny.MaxAbsDiff(expected, actual);
        Assert.True(d <= tol, $"{what}: max |Δ| {d:E2} > {tol:E0}");
    }

    // The layer of the reference: W and b copied in, an adapter as the case says (A and B overwritten for the
    // non-mutating cases, as after some training), eval mode (no dropout).
    private static LoraLinear Layer(string @case, bool rslora = false, bool dora = false, string init = "true")
    {
        var r = Ref.Value;
        var layer = new LoraLinear(r.GetProperty("in").GetInt64(), r.GetProperty("out").GetInt64(), bias: true, ScalarType.Float32);
        using (no_grad())
        using (NewDisposeScope())
        {
            layer.weight.copy_(T("W"));
            layer.bias!.copy_(T("bias"));
        }
        layer.eval();
        using var g = new Generator((ulong)r.GetProperty("pissa_seed").GetInt64());
        layer.add_lora(r.GetProperty("r").GetInt32(), r.GetProperty("alpha").GetDouble(), 0, rslora, ScalarType.Float32, g, dora, init);
        if (init == "true")
            using (no_grad())
            using (NewDisposeScope())
            {
                layer.lora_A.copy_(T("A0"));
                layer.lora_B.copy_(T("B0"));
            }
        Assert.Equal(Ref.Value.GetProperty("cases").GetProperty(@case).GetProperty("scaling").GetDouble(), layer.scaling, 12);
        return layer;
    }

    // Forward, gradients of sum(y·gy), one torch-equal AdamW step (lr 0.01, no decay) on the adapter, forward again.
    private static void TrainStep(LoraLinear layer, string @case)
    {
        using var scope = NewDisposeScope();
        var trainable = new List<(string name, Parameter p)> { ("A", layer.lora_A), ("B", layer.lora_B) };
        if (layer.use_dora) trainable.Add(("m", layer.lora_magnitude_vector));
        var x = T("x");
        var y = layer.forward(x);
        Close(C(@case, "y"), y, Tol, $"{@case} output");
        y.mul(T("gy")).sum().backward();
        Close(C(@case, "grad_A"), layer.lora_A.grad!, Tol, $"{@case} grad A");
        Close(C(@case, "grad_B"), layer.lora_B.grad!, Tol, $"{@case} grad B");
        if (layer.use_dora) Close(C(@case, "grad_m"), layer.lora_magnitude_vector.grad!, Tol, $"{@case} grad magnitude");
        Assert.Null(layer.weight.grad);   // the frozen base gets no gradient
        using var opt = new AdamW(trainable.Select(t => t.p), lr: Ref.Value.GetProperty("lr").GetDouble(), weight_decay: 0);
        opt.step();
        Close(C(@case, "A1"), layer.lora_A, Tol, $"{@case} A after the step");
        Close(C(@case, "B1"), layer.lora_B, Tol, $"{@case} B after the step");
        if (layer.use_dora) Close(C(@case, "m1"), layer.lora_magnitude_vector, Tol, $"{@case} magnitude after the step");
        using (no_grad()) Close(C(@case, "y1"), layer.forward(x), Tol, $"{@case} output after the step");
    }

    private static LoraLinear Frozen(LoraLinear l)
    {
        l.weight.requires_grad = false;
        l.bias!.requires_grad = false;
        return l;
    }

    [Theory]
    [InlineData("lora", false)]
    [InlineData("rslora", true)]
    public void Lora_and_rslora_forward_step_and_merge_equal_the_reference(string @case, bool rslora)
    {
        using var layer = Frozen(Layer(@case, rslora: rslora));
        TrainStep(layer, @case);
        layer.merge_lora();
        Close(C(@case, "merged"), layer.weight, Tol, $"{@case} merged weight");
    }

    [Fact]
    public void Dora_starts_at_the_row_norms_and_its_forward_step_and_merge_equal_the_reference()
    {
        using var layer = Frozen(Layer("dora", dora: true));
        Close(C("dora", "magnitude0"), layer.lora_magnitude_vector, Tol, "dora initial magnitude");
        TrainStep(layer, "dora");
        using var scope = NewDisposeScope();
        var x = T("x");
        Tensor before;
        using (no_grad()) before = layer.forward(x);
        layer.merge_lora();
        Close(C("dora", "merged"), layer.weight, Tol, "dora merged weight");
        using (no_grad()) Close(before, layer.forward(x), Tol, "merged dora layer vs adapted layer");
    }

    [Fact]
    public void Dora_magnitude_gradient_is_the_normalized_merged_output_worked_by_hand()
    {
        // dy/dm = (W·x + scaling·B·A·x) / ‖W + scaling·B·A‖ per row. (That the norm is detached, PEFT and DoRA §4.3, shows
        // in grad A and grad B of the reference test above: a live norm changes them.)
        using var layer = Frozen(Layer("dora", dora: true));
        using var scope = NewDisposeScope();
        var x = T("x");
        layer.forward(x).mul(T("gy")).sum().backward();
        var merged = T("W").add(layer.lora_B.detach().matmul(layer.lora_A.detach()).mul(layer.scaling));
        var norm = merged.square().sum(1).sqrt();
        var expected = x.matmul(merged.t()).div(norm).mul(T("gy")).sum(0);   // Σ_batch gy · (W'x)_row / ‖W'_row‖
        Close(expected, layer.lora_magnitude_vector.grad!, Tol, "dora magnitude gradient by hand");
    }

    [Theory]
    [InlineData("pissa")]
    [InlineData("pissa_niter_2")]
    [InlineData("olora")]
    public void Pissa_and_olora_initialize_the_adapter_and_residual_base_as_the_reference_and_train_alike(string init)
    {
        using var layer = Frozen(Layer(init, init: init));
        Close(C(init, "A0"), layer.lora_A, InitTol, $"{init} A₀");
        Close(C(init, "B0"), layer.lora_B, InitTol, $"{init} B₀");
        Close(C(init, "W_res"), layer.weight, InitTol, $"{init} residual base");
        TrainStep(layer, init);
    }

    [Fact]
    public void Rank_above_the_layer_size_is_refused_naming_the_layer_before_any_change()
    {
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        var before = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.clone());
        using var g = new Generator(1);
        var e = Assert.Throws<ModelException>(() => LoraModel.add_adapters(model, new LoraConfig { R = 1000, TargetModules = [LoraConfig.AllLinear] }.WithInit("pissa"), g));
        Assert.Contains("r = 1000 is above the size of model.layers.0.", e.Message);
        Assert.Empty(LoraModel.AdaptedLayers(model));
        foreach (var (name, p) in model.named_parameters()) Assert.Equal(0, Tiny.MaxAbsDiff(before[name], p));
    }

    [Theory]
    [InlineData("pissa", true, "use_dora with init_lora_weights 'pissa' is not supported")]
    [InlineData("olora", true, "use_dora with init_lora_weights 'olora' is not supported")]
    [InlineData("eva", false, "init_lora_weights 'eva' is not supported")]
    [InlineData("pissa_niter_x", false, "init_lora_weights 'pissa_niter_x' is not supported")]
    public void Unsupported_combinations_are_clear_errors(string init, bool dora, string message)
    {
        using var model = Tiny.Model();
        using var g = new Generator(1);
        var e = Assert.Throws<ModelException>(() => LoraModel.add_adapters(model, new LoraConfig { UseDora = dora }.WithInit(init), g));
        Assert.Contains(message, e.Message);
        Assert.Empty(LoraModel.AdaptedLayers(model));
    }

    [Fact]
    public void Dora_adapter_files_have_peft_keys_and_fields_and_load_back_to_the_same_model()
    {
        using var dir = new TempDir();
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        model.eval();
        using var g = new Generator(3);
        LoraModel.add_adapters(model, new LoraConfig { TargetModules = ["q_proj", "v_proj"], UseDora = true, UseRslora = true }, g);
        using (no_grad())
            foreach (var (_, l) in LoraModel.AdaptedLayers(model))
            {
                l.lora_B.copy_(randn(l.lora_B.shape, generator: g).mul(0.3));
                l.lora_magnitude_vector.mul_(1.5);
            }
        long[] seq = [3, 9, 17, 4];
        Tensor logits;
        using (no_grad()) logits = model.forward(tensor(seq, [1, seq.Length])).logits;
        LoraModel.save_adapter(model, dir.Path, "base");

        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, LoraModel.ConfigFile)))!;
        Assert.True(cfg["use_dora"]!.GetValue<bool>());
        Assert.True(cfg["use_rslora"]!.GetValue<bool>());
        Assert.True(cfg["init_lora_weights"]!.GetValue<bool>());
        using (var f = SafetensorsFile.Open(Path.Combine(dir.Path, LoraModel.WeightsFile)))
        {
            Assert.Contains("base_model.model.model.layers.0.self_attn.q_proj.lora_magnitude_vector", f.Names);
            Assert.Equal(new long[] { 32 }, f.Info("base_model.model.model.layers.1.self_attn.q_proj.lora_magnitude_vector").Shape);
            Assert.Equal(12, f.Names.Count());   // 4 layers × (A, B, magnitude)
        }
        using var fresh = Tiny.Model();
        fresh.eval();
        var loaded = LoraModel.load_adapter(fresh, dir.Path);
        Assert.True(loaded.UseDora);
        using (no_grad()) Assert.Equal(0, Tiny.MaxAbsDiff(logits, fresh.forward(tensor(seq, [1, seq.Length])).logits));
    }

    [Theory]
    [InlineData("pissa", false)]
    [InlineData("olora", true)]
    public void Pissa_and_olora_save_as_a_rank_2r_lora_of_the_original_base(string init, bool rslora)
    {
        using var dir = new TempDir();
        using var original = Tiny.Model();
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        model.eval();
        original.eval();
        using var g = new Generator(4);
        LoraModel.add_adapters(model, new LoraConfig { R = 4, LoraAlpha = 8, UseRslora = rslora, TargetModules = ["q_proj", "o_proj"] }.WithInit(init), g);
        using (no_grad())
            foreach (var (_, l) in LoraModel.AdaptedLayers(model))   // "train": move A and B away from their start
            {
                l.lora_A.add_(randn(l.lora_A.shape, generator: g).mul(0.05));
                l.lora_B.add_(randn(l.lora_B.shape, generator: g).mul(0.05));
            }
        long[] seq = [5, 1, 22, 7, 30];
        Tensor trained;
        using (no_grad()) trained = model.forward(tensor(seq, [1, seq.Length])).logits;
        LoraModel.save_adapter(model, dir.Path, "base");

        var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(dir.Path, LoraModel.ConfigFile)))!;
        Assert.Equal(8, cfg["r"]!.GetValue<int>());
        Assert.Equal(rslora ? 8 * Math.Sqrt(2) : 16, cfg["lora_alpha"]!.GetValue<double>(), 12);
        Assert.True(cfg["init_lora_weights"]!.GetValue<bool>());
        var adapted = LoraModel.load_adapter(original, dir.Path);   // onto the unchanged base
        Assert.Equal(8, adapted.R);
        using (no_grad())
        {
            double d = Tiny.MaxAbsDiff(trained, original.forward(tensor(seq, [1, seq.Length])).logits);
            Assert.True(d < 1e-4, $"converted adapter on the original base vs trained PiSSA/OLoRA model: {d:E2}");
        }
    }
}
