using Alignment.Models.Core;
using Alignment.Models.Qat;
using Alignment.Torch.IO;

namespace Alignment.Models.Tests;

// Quantization-aware training: the symmetric per-channel grid worked by hand, the straight-through gradient, and the
// int export reproducing the fake-quantized forward bit for bit.
public class QatTests
{
    [Fact]
    public void Weights_quantize_per_row_symmetrically_as_worked_by_hand()
    {
        using var scope = NewDisposeScope();
        // Row 0: max |w| 1.27 → int8 scale 0.01, q = round(w / 0.01) = [50, −127, 30, 0].
        // Row 1: max |w| 0.7 → int8 scale 0.7/127 = 0.005512: w/scale = [127, −65.3, 7.26, 27.03] → [127, −65, 7, 27].
        var w = tensor(new float[] { 0.5f, -1.27f, 0.3f, 0f, 0.7f, -0.36f, 0.04f, 0.149f }, [2, 4]);
        var (q8, s8) = FakeQuant.QuantizeWeight(w, 8);
        Assert.Equal(ScalarType.Int8, q8.dtype);
        Assert.Equal(new sbyte[] { 50, -127, 30, 0, 127, -65, 7, 27 }, q8.data<sbyte>().ToArray());
        Assert.Equal(1.27f / 127, s8.data<float>()[0], 7);
        var (q4, s4) = FakeQuant.QuantizeWeight(w, 4);
        // int4: row 0 scale 1.27/7 = 0.1814, w/scale = [2.76, −7, 1.65, 0] → [3, −7, 2, 0];
        // row 1 scale 0.1, w/scale = [7, −3.6, 0.4, 1.49] → [7, −4, 0, 1].
        Assert.Equal(new sbyte[] { 3, -7, 2, 0, 7, -4, 0, 1 }, q4.data<sbyte>().ToArray());
        Assert.Equal(0.1f, s4.data<float>()[1], 7);
        Assert.Throws<ModelException>(() => FakeQuant.QuantizeWeight(w, 3));
    }

    [Fact]
    public void The_straight_through_gradient_is_the_gradient_at_the_quantized_weight()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var layer = new LoraLinear(6, 5, bias: false, ScalarType.Float32);
        using (no_grad()) layer.weight.copy_(randn([5, 6], generator: g));
        layer.qat_bits = 4;
        var x = randn([2, 6], generator: g);
        var gy = randn([2, 5], generator: g);
        layer.forward(x).mul(gy).sum().backward();
        // y = x·ŵᵀ with ŵ = fq(w) and dŵ/dw = 1: dL/dw = gyᵀ·x, the float layer's gradient.
        Assert.True(Tiny.MaxAbsDiff(gy.t().matmul(x), layer.weight.grad!) < 1e-6);
        var (q, s) = FakeQuant.QuantizeWeight(layer.weight, 4);
        using (no_grad()) Assert.Equal(0, Tiny.MaxAbsDiff(x.matmul(FakeQuant.Dequantize(q, s).t()), layer.forward(x)));
    }

    [Theory]
    [InlineData(8, false)]
    [InlineData(4, false)]
    [InlineData(8, true)]
    public void The_int_export_reproduces_the_fake_quantized_forward_exactly(int bits, bool activations)
    {
        using var dir = new TempDir();
        using var model = Tiny.Model();
        using var scope = NewDisposeScope();
        model.eval();
        long[] seq = [3, 9, 17, 4, 22, 8];
        var input = tensor(seq, [1, seq.Length]);
        Tensor floatLogits, quantLogits;
        using (no_grad()) floatLogits = model.forward(input).logits;
        var names = QatModel.enable(model, bits, activations);
        Assert.Equal(14, names.Count);   // 7 linear layers × 2 decoder layers, never lm_head
        using (no_grad()) quantLogits = model.forward(input).logits;
        Assert.True(Tiny.MaxAbsDiff(floatLogits, quantLogits) > 1e-3, "quantization changed nothing, so the test proves nothing");
        using (QatModel.disable(model))
        using (no_grad()) Assert.Equal(0, Tiny.MaxAbsDiff(floatLogits, model.forward(input).logits));
        QatModel.export(model, dir.Path);

        using (var f = SafetensorsFile.Open(Path.Combine(dir.Path, QatModel.WeightsFile)))
        {
            Assert.Equal(28, f.Names.Count());
            Assert.Equal(ScalarType.Int8, f.Info("model.layers.0.self_attn.q_proj.weight").DType);
            Assert.Equal(ScalarType.Float32, f.Info("model.layers.0.self_attn.q_proj.weight_scale").DType);
            using var q = f.Load("model.layers.1.mlp.down_proj.weight");
            int qmax = bits == 8 ? 127 : 7;
            Assert.Equal(qmax, q.to(float32).abs().max().item<float>());   // each row's largest weight lands on ±qmax
        }
        using var deployed = Tiny.Model();   // the float model the export came from
        deployed.eval();
        QatModel.load_export(deployed, dir.Path);
        using (no_grad()) Assert.Equal(0, Tiny.MaxAbsDiff(quantLogits, deployed.forward(input).logits));
    }
}
