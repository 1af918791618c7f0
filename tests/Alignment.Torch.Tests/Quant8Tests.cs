using System.Text.Json;

namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// bitsandbytes' int8 per-row weights (LLM.int8()'s weight format, threshold 0): a block worked by hand, and the
// quantization, dequantization and linear layer against bitsandbytes' default backend written out in PyTorch
// (Fixtures/make_int8_golden.py).
public class Quant8Tests
{
    private static readonly JsonElement Golden =
        JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "int8_golden.json"))).RootElement;

    private static float[] Flat(JsonElement e) => e.ValueKind != JsonValueKind.Array ? [e.GetSingle()]
        : e.EnumerateArray().SelectMany(Flat).ToArray();

    private static long[] Shape(JsonElement e) => e.ValueKind != JsonValueKind.Array ? [] : [e.GetArrayLength(), .. Shape(e[0])];

    private static Tensor T(string key) => tensor(Flat(Golden.GetProperty(key)), Shape(Golden.GetProperty(key)));

    [Fact]
    public void Rows_worked_by_hand()
    {
        using var scope = NewDisposeScope();
        // Row 0: absmax 127, so the scale 127/127 = 1: 62.5 and -0.5 are halves and go to the even neighbour (62, 0),
        // 1.5 to 2. Row 1: absmax 2, scale 63.5: 0.5 → 31.75 → 32, -0.3 → -19.05 → -19, 1.5 → 95.25 → 95.
        // Row 2: all zeros, SCB 0 and codes 0.
        var w = tensor(new float[] { 127f, 62.5f, -0.5f, 1.5f, 2f, 0.5f, -0.3f, 1.5f, 0, 0, 0, 0 }, [3, 4]);
        var (q, scb) = F.quantize_int8_rowwise(w);
        Assert.Equal(ScalarType.Int8, q.dtype);
        Assert.Equal(new sbyte[] { 127, 62, 0, 2, 127, 32, -19, 95, 0, 0, 0, 0 }, q.contiguous().data<sbyte>());
        Assert.Equal(new[] { 127f, 2f, 0f }, scb.data<float>());
        // q · SCB · (1/127 in float32)
        float inv = 7.874015718698502e-3f;
        var expected = new[] { 127f * 127f * inv, 62f * 127f * inv, 0f, 2f * 127f * inv, 127f * 2f * inv, 32f * 2f * inv, -19f * 2f * inv, 95f * 2f * inv, 0, 0, 0, 0 };
        Assert.Equal(expected, F.dequantize_int8_rowwise(q, scb, ScalarType.Float32).contiguous().data<float>());
    }

    [Fact]
    public void Quantization_and_dequantization_equal_bitsandbytes_default_backend()
    {
        using var scope = NewDisposeScope();
        var (q, scb) = F.quantize_int8_rowwise(T("w"));
        Assert.Equal(Flat(Golden.GetProperty("q")).Select(v => (sbyte)v).ToArray(), q.contiguous().data<sbyte>());
        Assert.Equal(Flat(Golden.GetProperty("scb")), scb.data<float>());
        Assert.Equal(Flat(Golden.GetProperty("dequantized")), F.dequantize_int8_rowwise(q, scb, ScalarType.Float32).contiguous().data<float>());
    }

    [Fact]
    public void Linear_8bit_forward_and_gradients_equal_the_reference()
    {
        using var scope = NewDisposeScope();
        var (q, scb) = F.quantize_int8_rowwise(T("w"));
        var x = T("x").requires_grad_();
        var bias = T("bias").requires_grad_();
        var y = F.linear_8bit(x, q, scb, 6, 10, bias);
        TensorAssert.Close(T("y"), y, 1e-5, 1e-6, "output");
        y.backward(T("g"));
        TensorAssert.Close(T("gx"), x.grad!, 1e-5, 1e-6, "x gradient");
        TensorAssert.Close(T("gb"), bias.grad!, 1e-5, 1e-6, "bias gradient");
    }

    // Many bands of rows (the scratch holds 256 Ki values): the tiled layer equals one float64 linear over the
    // dequantized weight, forward and backward.
    [Fact]
    public void Linear_8bit_over_many_tiles_equals_the_float_linear_over_the_dequantized_weight()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var (q, scb) = F.quantize_int8_rowwise(randn([3000, 200], generator: g));
        var w = F.dequantize_int8_rowwise(q, scb, ScalarType.Float64);
        var x = randn([2, 3, 200], float64, generator: g).requires_grad_();
        var xr = x.detach().clone().requires_grad_();
        var y = F.linear_8bit(x, q, scb, 3000, 200);
        var yr = F.linear(xr, w);
        TensorAssert.Close(yr, y, 1e-10, 1e-10, "output");
        var wgt = randn([2, 3, 3000], float64, generator: g);
        (y * wgt).sum().backward();
        (yr * wgt).sum().backward();
        TensorAssert.Close(xr.grad!, x.grad!, 1e-10, 1e-10, "x gradient");
    }

    [Fact]
    public void Bad_inputs_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        var (q, scb) = F.quantize_int8_rowwise(ones([8, 64]));
        var e = Assert.Throws<TorchException>(() => F.linear_8bit(zeros([2, 63]), q, scb, 8, 64));
        Assert.Contains("in_features = 64", e.Message);
        e = Assert.Throws<TorchException>(() => F.linear_8bit(zeros([2, 64]), q, scb, 16, 64));
        Assert.Contains("int8", e.Message);
        e = Assert.Throws<TorchException>(() => F.linear_8bit(zeros([2, 64]), q, ones([4]), 8, 64));
        Assert.Contains("SCB", e.Message);
        e = Assert.Throws<TorchException>(() => F.quantize_int8_rowwise(ones([64])));
        Assert.Contains("2-D", e.Message);
    }
}
