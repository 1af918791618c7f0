namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// bitsandbytes' 4-bit and 8-bit blockwise quantization: the code tables as bitsandbytes publishes them
// (functional.get_4bit_type, create_dynamic_map), blocks worked by hand through its CUDA kernel's rules (absmax per
// block, x·(1/absmax), midpoint thresholds compared with '>', first value in the high nibble), and the 4-bit linear
// layer against the float linear over the dequantized weight.
public class Quant4Tests
{
    // bitsandbytes.functional.get_4bit_type("nf4") (the QLoRA paper's NF4 values).
    private static readonly double[] Nf4 =
    [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
        -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ];

    // get_4bit_type("fp4"): [0, 0.0625, 8, 12, 4, 6, 2, 3, -0, -0.0625, -8, -12, -4, -6, -2, -3] / 12.
    private static readonly double[] Fp4Raw = [0, 0.0625, 8, 12, 4, 6, 2, 3, -0.0, -0.0625, -8, -12, -4, -6, -2, -3];

    private static float[] Floats(Tensor t)
    {
        using var c = t.contiguous();
        return c.data<float>();
    }

    private static byte[] Bytes(Tensor t)
    {
        using var c = t.contiguous();
        return c.data<byte>();
    }

    [Fact]
    public void Code_tables_are_bitsandbytes_nf4_and_fp4()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(Nf4.Select(v => (float)v).ToArray(), Floats(F.quant_code("nf4")));
        Assert.Equal(Fp4Raw.Select(v => (float)v / 12f).ToArray(), Floats(F.quant_code("fp4")));
    }

    // One block of 64: absmax 2, so the normalized values are 1, −1, 0.05, −0.05, 0.25 and 0 (the rest 0).
    private static Tensor HandBlock()
    {
        var x = new float[64];
        x[0] = 2f; x[1] = -2f; x[2] = 0.1f; x[3] = -0.1f; x[4] = 0.5f;
        return tensor(x);
    }

    [Fact]
    public void Nf4_block_worked_by_hand()
    {
        using var scope = NewDisposeScope();
        var (packed, absmax) = F.quantize_4bit(HandBlock(), "nf4", 64);
        Assert.Equal(new long[] { 32, 1 }, packed.shape);
        Assert.Equal(new[] { 2f }, Floats(absmax));
        // 1 → 15 (1.0); −1 → 0; 0.05 > 0.0398 (mid 0 | 0.0796) but ≤ 0.1203 → 8; −0.05 ≤ −0.0455 (mid −0.0911 | 0) → 6;
        // 0.25 > 0.2035 but ≤ 0.2920 → 10; 0 → 7. Two per byte, the first in the high nibble.
        var expected = new byte[32];
        Array.Fill(expected, (byte)0x77);
        expected[0] = 0xF0; expected[1] = 0x86; expected[2] = 0xA7;
        Assert.Equal(expected, Bytes(packed));
        var back = Floats(F.dequantize_4bit(packed, absmax, F.quant_code("nf4"), 64, [64], ScalarType.Float32));
        Assert.Equal(new[] { 2f, -2f, 2f * (float)Nf4[8], 2f * (float)Nf4[6], 2f * (float)Nf4[10], 0f }, back[..6]);
    }

    [Fact]
    public void Fp4_block_worked_by_hand()
    {
        using var scope = NewDisposeScope();
        var (packed, absmax) = F.quantize_4bit(HandBlock(), "fp4", 64);
        // 1 → 0b0011 (12/12); −1 → sign + 0b0011; 0.05: above 0.0026 (mid 0 | 0.0052), not above 0.0859 → 0b001;
        // −0.05 → 0b1001; 0.25: above 0.2083, not above 0.2917 → 0b111 (3/12); 0 → 0.
        var expected = new byte[32];
        expected[0] = 0x3B; expected[1] = 0x19; expected[2] = 0x70;
        Assert.Equal(expected, Bytes(packed));
        var back = Floats(F.dequantize_4bit(packed, absmax, F.quant_code("fp4"), 64, [64], ScalarType.Float32));
        Assert.Equal(new[] { 2f, -2f, 2f * (0.0625f / 12f), 2f * (-0.0625f / 12f), 2f * (3f / 12f), 0f }, back[..6]);
    }

    [Fact]
    public void Partial_last_block_odd_length_and_zero_block_follow_the_kernel()
    {
        using var scope = NewDisposeScope();
        // 64 zeros, then 3 values: two blocks, 34 bytes; the missing 68th value is quantized as 0.
        var x = new float[67];
        x[64] = -4f; x[65] = 4f; x[66] = 1f;
        var (packed, absmax) = F.quantize_4bit(tensor(x), "nf4", 64);
        Assert.Equal(new long[] { 34, 1 }, packed.shape);
        Assert.Equal(new[] { 0f, 4f }, Floats(absmax));
        var b = Bytes(packed);
        // The all-zero block: 1/0 = inf, 0·inf = NaN, which exceeds no threshold → index 0, as bitsandbytes' CUDA kernel.
        Assert.All(b[..32], v => Assert.Equal(0x00, v));
        // −1 → 0, 1 → 15; 0.25 → 10, then the padding 0 → 7.
        Assert.Equal(new byte[] { 0x0F, 0xA7 }, b[32..]);
        var back = Floats(F.dequantize_4bit(packed, absmax, F.quant_code("nf4"), 64, [67], ScalarType.Float32));
        Assert.All(back[..64], v => Assert.Equal(0f, Math.Abs(v)));
        Assert.Equal(new[] { -4f, 4f, 4f * (float)Nf4[10] }, back[64..]);
    }

    [Fact]
    public void A_value_on_a_midpoint_goes_to_the_lower_code()
    {
        using var scope = NewDisposeScope();
        float mid = (float)(((double)(float)Nf4[8] + (float)Nf4[9]) / 2);   // 0.120255..., between the float32 table values
        var x = new float[64];
        x[0] = 1f; x[1] = mid; x[2] = MathF.BitIncrement(mid);
        var (packed, _) = F.quantize_4bit(tensor(x), "nf4", 64);
        var b = Bytes(packed);
        Assert.Equal(0xF8, b[0]);   // 1 → 15, the midpoint → 8
        Assert.Equal(0x97, b[1]);   // just above → 9, then 0 → 7
    }

    [Fact]
    public void Dynamic_map_is_create_dynamic_map_signed()
    {
        using var scope = NewDisposeScope();
        var code = Floats(F.quant_code("dynamic"));
        Assert.Equal(256, code.Length);
        Assert.Equal(code.Order().ToArray(), code);
        // 7 exponents i, 2^i means of linspace(0.1, 1, 2^i + 1) scaled by 10^(i−6), both signs, then 0 and 1.
        Assert.Equal(0f, code[127]);
        Assert.Equal(1f, code[255]);
        Assert.Equal(0.55e-6f, code[128], 1e-12f);                 // i = 0: mean of [0.1, 1]
        Assert.Equal(-0.55e-6f, code[126], 1e-12f);
        Assert.Equal(0.325e-5f, code[129], 1e-11f);                // i = 1: means of [0.1, 0.55, 1]
        Assert.Equal((0.9859375f + 1f) / 2f, code[254], 1e-6f);    // i = 6: the last mean of 65 boundaries
        Assert.Equal(-(0.9859375f + 1f) / 2f, code[0], 1e-6f);
        Assert.Equal(0.1f + 0.0140625f * 0.5f, code[191], 1e-6f);  // the first i = 6 mean: 128 + 1 + 2 + 4 + 8 + 16 + 32
    }

    [Fact]
    public void Blockwise_8bit_worked_by_hand()
    {
        using var scope = NewDisposeScope();
        var code = F.quant_code("dynamic");
        var (q, absmax) = F.quantize_blockwise(tensor(new[] { 2f, 1f, 0f, -2f }), code, 256);
        Assert.Equal(new[] { 2f }, Floats(absmax));
        // 1.0: the binary search never reaches index 255, so 1 maps to 254 (0.99297); 0.5 → the i = 6 mean 0.50078
        // (k = 28: 0.1 + 0.0140625·28.5), index 191 + 28; 0 → 127; −1 → 0 (−0.99297).
        Assert.Equal(new byte[] { 254, 219, 127, 0 }, Bytes(q));
        var back = Floats(F.dequantize_blockwise(q, absmax, code, 256));
        var c = Floats(code);
        Assert.Equal(new[] { 2 * c[254], 2 * c[219], 0f, 2 * c[0] }, back);
        Assert.Equal(0.5007813f, c[219], 1e-6f);
    }

    // A weight of out × in with blocks that straddle rows (in = 100) and several scratch tiles (out·in > 256 Ki).
    private static (Tensor packed, Tensor absmax, Tensor code, Tensor w) Quantized(long outF, long inF, string type)
    {
        using var g = new Generator(5);
        var w0 = randn([outF, inF], float32, generator: g);
        var (packed, absmax) = F.quantize_4bit(w0, type, 64);
        var code = F.quant_code(type);
        var w = F.dequantize_4bit(packed, absmax, code, 64, [outF, inF], ScalarType.Float64);
        return (packed, absmax, code, w);
    }

    [Theory]
    [InlineData(3000, 100, "nf4")]
    [InlineData(37, 4096, "fp4")]
    public void Linear_4bit_equals_the_float_linear_over_the_dequantized_weight(long outF, long inF, string type)
    {
        using var scope = NewDisposeScope();
        var (packed, absmax, code, w) = Quantized(outF, inF, type);
        using var g = new Generator(6);
        var x = randn([2, 3, inF], float64, generator: g).requires_grad_();
        var bias = randn([outF], float64, generator: g).requires_grad_();
        var y = F.linear_4bit(x, packed, absmax, code, outF, inF, 64, bias);
        var xr = x.detach().clone().requires_grad_();
        var br = bias.detach().clone().requires_grad_();
        var yr = F.linear(xr, w, br);
        TensorAssert.Close(yr, y, 1e-10, 1e-10, "output");
        var wgt = randn([2, 3, outF], float64, generator: g);
        (y * wgt).sum().backward();
        (yr * wgt).sum().backward();
        TensorAssert.Close(xr.grad!, x.grad!, 1e-10, 1e-10, "x gradient");
        TensorAssert.Close(br.grad!, bias.grad!, 1e-10, 1e-10, "bias gradient");
    }

    // The weight decoded here from the packed bytes (value e: byte e / 2, the high nibble for an even e; times the
    // absmax of block e / blocksize, a float32 product), independently of the native dequantization.
    private static float[] DecodeByHand(byte[] packed, float[] absmax, double[] code, int n, int blocksize)
    {
        var w = new float[n];
        for (int e = 0; e < n; e++)
        {
            int q = e % 2 == 0 ? packed[e / 2] >> 4 : packed[e / 2] & 0x0F;
            w[e] = (float)code[q] * absmax[e / blocksize];
        }
        return w;
    }

    // Rows of odd length (33 values) start on a low nibble every other row, and blocks of 64 run across rows; the
    // layer dequantizes a band of 31,775 rows (1 Mi values) at a time, so the second band starts on a low nibble too;
    // float32 and float64 outputs (the latter through a float32 run).
    [Fact]
    public void Odd_rows_and_blocks_across_rows_decode_as_the_packed_bytes_say()
    {
        using var scope = NewDisposeScope();
        const int outF = 32001, inF = 33;
        using var g = new Generator(8);
        var (packed, absmax) = F.quantize_4bit(randn([outF, inF], float32, generator: g), "nf4", 64);
        var w = DecodeByHand(Bytes(packed), Floats(absmax), Nf4, outF * inF, 64);
        var code = F.quant_code("nf4");
        Assert.Equal(w, Floats(F.dequantize_4bit(packed, absmax, code, 64, [outF, inF], ScalarType.Float32)));
        Assert.Equal(w.Select(v => (double)v).ToArray(),
                     F.dequantize_4bit(packed, absmax, code, 64, [outF, inF], ScalarType.Float64).data<double>());

        var wr = tensor(w.Select(v => (double)v).ToArray(), [outF, inF]);
        var x = randn([5, inF], float64, generator: g).requires_grad_();
        var y = F.linear_4bit(x, packed, absmax, code, outF, inF, 64);
        var xr = x.detach().clone().requires_grad_();
        var yr = F.linear(xr, wr);
        TensorAssert.Close(yr, y, 1e-12, 1e-12, "output");
        var wgt = randn([5, outF], float64, generator: g);
        (y * wgt).sum().backward();
        (yr * wgt).sum().backward();
        TensorAssert.Close(xr.grad!, x.grad!, 1e-12, 1e-12, "x gradient");
    }

    // value_unused (the last projection of a block that gradient checkpointing reruns, whose values nothing reads):
    // zeros of the output's shape, and the input and bias gradients of the computed product.
    [Fact]
    public void An_unused_value_is_zeros_with_the_gradients_of_the_product()
    {
        using var scope = NewDisposeScope();
        var (packed, absmax, code, w) = Quantized(300, 100, "nf4");
        using var g = new Generator(9);
        var x = randn([2, 3, 100], float64, generator: g).requires_grad_();
        var bias = randn([300], float64, generator: g).requires_grad_();
        var y = F.linear_4bit(x, packed, absmax, code, 300, 100, 64, bias, value_unused: true);
        Assert.Equal([2L, 3, 300], y.shape);
        Assert.Equal(0.0, y.abs().max().ToDouble());
        var xr = x.detach().clone().requires_grad_();
        var br = bias.detach().clone().requires_grad_();
        var wgt = randn([2, 3, 300], float64, generator: g);
        (y * wgt).sum().backward();
        (F.linear(xr, w, br) * wgt).sum().backward();
        TensorAssert.Close(xr.grad!, x.grad!, 1e-10, 1e-10, "x gradient");
        TensorAssert.Close(br.grad!, bias.grad!, 1e-10, 1e-10, "bias gradient");
    }

    [Fact]
    public void Linear_4bit_input_gradient_matches_finite_differences()
    {
        using var scope = NewDisposeScope();
        var (packed, absmax, code, _) = Quantized(70, 130, "nf4");
        using var g = new Generator(7);
        var x = randn([2, 130], float64, generator: g).requires_grad_();
        var wgt = randn([2, 70], float64, generator: g);
        Tensor Loss(Tensor input) => (F.linear_4bit(input, packed, absmax, code, 70, 130, 64) * wgt).sum();
        Loss(x).backward();
        var grad = x.grad!.data<double>();
        var x0 = x.detach().data<double>();
        const double h = 1e-6;
        foreach (int i in new[] { 0, 17, 129, 200, 259 })
        {
            var plus = (double[])x0.Clone(); plus[i] += h;
            var minus = (double[])x0.Clone(); minus[i] -= h;
            double fd = (Loss(tensor(plus, [2, 130])).ToDouble() - Loss(tensor(minus, [2, 130])).ToDouble()) / (2 * h);
            Assert.Equal(fd, grad[i], 1e-6);
        }
    }

    [Fact]
    public void Bad_inputs_are_clear_errors()
    {
        using var scope = NewDisposeScope();
        var (packed, absmax, code, _) = Quantized(8, 64, "nf4");
        var e = Assert.Throws<TorchException>(() => F.linear_4bit(zeros([2, 63]), packed, absmax, code, 8, 64, 64));
        Assert.Contains("in_features = 64", e.Message);
        e = Assert.Throws<TorchException>(() => F.linear_4bit(zeros([2, 64]), packed, absmax, code, 16, 64, 64));
        Assert.Contains("bytes", e.Message);
        Assert.Throws<ArgumentException>(() => F.quantize_4bit(zeros([64]), "int4"));
        e = Assert.Throws<TorchException>(() => F.quantize_4bit(zeros([64]), "nf4", 63));
        Assert.Contains("blocksize", e.Message);
    }
}
