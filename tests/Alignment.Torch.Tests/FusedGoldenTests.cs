using System.Text.Json;

namespace Alignment.Torch.Tests;

using F = torch.nn.functional;

// The fused ops against golden values from PyTorch running Hugging Face's eager Llama code (Fixtures/fused_golden.json,
// made by Fixtures/make_fused_golden.py with Debian's python3-torch 1.13; no python at test time).
// Each case holds the inputs, a random projection w, out = op(inputs) and grad_* = d/d* sum(out · w).
// Tolerance: atol 1e-12, rtol 1e-10 (float64), except the float32 rotary tables (atol 1e-6).
public class FusedGoldenTests
{
    private const double Atol = 1e-12, Rtol = 1e-10;

    private static readonly JsonElement Golden = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "fused_golden.json"))).RootElement;

    private static Tensor Load(JsonElement c, string name)
    {
        var e = c.GetProperty(name);
        var shape = e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        var data = e.GetProperty("data");
        return e.GetProperty("dtype").GetString() == "int64"
            ? tensor(data.EnumerateArray().Select(x => x.GetInt64()).ToArray(), shape)
            : tensor(data.EnumerateArray().Select(x => x.GetDouble()).ToArray(), shape);
    }

    /// <summary>Runs op on leaf copies of the named inputs, checks out and the gradients of sum(out · w).</summary>
    private static void Check(string caseName, string[] inputNames, string[] wrt, Func<Dictionary<string, Tensor>, Tensor> op)
    {
        using var scope = NewDisposeScope();
        var c = Golden.GetProperty(caseName);
        var args = inputNames.ToDictionary(n => n, n => wrt.Contains(n) ? Load(c, n).requires_grad_() : Load(c, n));
        var y = op(args);
        TensorAssert.Close(Load(c, "out"), y, Atol, Rtol, $"{caseName} output");
        (y * Load(c, "w")).sum().backward();
        foreach (var n in wrt) TensorAssert.Close(Load(c, "grad_" + n), args[n].grad!, Atol, Rtol, $"{caseName} gradient of {n}");
    }

    [Fact]
    public void Rms_norm_matches_pytorch_llama_rms_norm() =>
        Check("rms_norm", new[] { "x", "weight" }, new[] { "x", "weight" }, a => F.rms_norm(a["x"], a["weight"], 1e-6));

    [Fact]
    public void Rotary_matches_pytorch_apply_rotary_pos_emb() =>
        Check("rotary", new[] { "x", "cos", "sin" }, new[] { "x" }, a => F.apply_rotary(a["x"], a["cos"], a["sin"]));

    [Fact]
    public void Rotary_tables_match_pytorch_llama_rotary_embedding_in_float32()
    {
        using var scope = NewDisposeScope();
        var c = Golden.GetProperty("rotary_tables");
        var (cos, sin) = F.rotary_cos_sin(Load(c, "positions"), c.GetProperty("head_dim").GetInt64(), c.GetProperty("theta").GetDouble());
        Assert.Equal(ScalarType.Float32, cos.dtype);
        TensorAssert.Close(Load(c, "cos").unsqueeze(1), cos, 1e-6, 0, "cos");
        TensorAssert.Close(Load(c, "sin").unsqueeze(1), sin, 1e-6, 0, "sin");
    }

    [Fact]
    public void Causal_attention_with_gqa_cache_and_padding_matches_pytorch_eager_attention() =>
        Check("causal_attention", new[] { "q", "k", "v", "padding_mask" }, new[] { "q", "k", "v" },
              a => F.causal_attention(a["q"], a["k"], a["v"], a["padding_mask"]));

    [Fact]
    public void Swiglu_matches_pytorch_silu_times_up() =>
        Check("swiglu", new[] { "a", "b" }, new[] { "a", "b" }, a => F.swiglu(a["a"], a["b"]));

    [Fact]
    public void Logprobs_match_pytorch_log_softmax_gather() =>
        Check("logprobs", new[] { "logits", "targets" }, new[] { "logits" }, a => F.logprobs_of(a["logits"], a["targets"]));
}
