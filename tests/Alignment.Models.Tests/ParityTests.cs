using Alignment.Models.Llama;
using Alignment.Models.Scoring;
using Xunit.Abstractions;

namespace Alignment.Models.Tests;

using F = torch.nn.functional;

// Per-token log-probs of the tiny fixture models (reference/make_fixtures.py: f32/bf16/f16 on disk, one sharded) against
// the independent PyTorch reference (reference/hf_reference.py, float64). Tolerance: 1e-4 absolute, float32 compute.
// Each model is checked unpadded, in a right-padded batch and in a left-padded batch (positions from the mask).
public class ParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    public static TheoryData<string> Models => new(Fixtures.Models);

    [Theory]
    [MemberData(nameof(Models))]
    public void Log_probs_match_the_pytorch_reference_unpadded_and_in_padded_batches(string name)
    {
        using var model = LlamaForCausalLM.from_pretrained(Fixtures.Folder(name));
        var sequences = Fixtures.Sequences;
        var expected = Fixtures.LogProbs(name);

        double worst = 0;
        for (int i = 0; i < sequences.Length; i++)
            worst = Math.Max(worst, Compare(expected[i], Unpadded(model, sequences[i]), $"{name} sequence {i} alone"));
        foreach (bool left in new[] { false, true })
        {
            var batch = Padded(model, sequences, left);
            for (int i = 0; i < sequences.Length; i++)
                worst = Math.Max(worst, Compare(expected[i], batch[i], $"{name} sequence {i} in a {(left ? "left" : "right")}-padded batch"));
        }
        output.WriteLine($"{name}: max |Δ logprob| = {worst:E2}");
    }

    [Fact]
    public void Token_log_probs_helper_matches_the_reference_in_batches_of_two()
    {
        using var model = LlamaForCausalLM.from_pretrained(Fixtures.Folder("qwen3"));
        var got = TokenLogProbs.Compute(model, Fixtures.Sequences, batchSize: 2);
        var expected = Fixtures.LogProbs("qwen3");
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Null(got[i][0]);
            Compare(expected[i], got[i].Skip(1).Select(v => v!.Value).ToArray(), $"sequence {i}");
        }
    }

    [Fact]
    public void Llama3_rope_scaling_changes_the_result_so_the_parity_check_can_see_it()
    {
        // The same weights with rope_scaling removed must disagree with the reference by far more than the tolerance.
        using var t = new TempDir();
        var folder = t.Sub("plain");
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(Fixtures.Folder("llama3_rope"))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!.AsObject();
        json.Remove("rope_scaling");
        File.WriteAllText(Path.Combine(folder, "config.json"), json.ToJsonString());

        using var model = LlamaForCausalLM.from_pretrained(folder);
        var seq = Fixtures.Sequences[0];
        var got = Unpadded(model, seq);
        var expected = Fixtures.LogProbs("llama3_rope")[0];
        double diff = got.Select((v, j) => Math.Abs(v - expected[j + 1]!.Value)).Max();
        Assert.True(diff > 0.05, $"without rope scaling the log-probs moved only {diff}");
    }

    [Fact]
    public void Bfloat16_compute_stays_close_to_the_float32_reference()
    {
        using var model = LlamaForCausalLM.from_pretrained(Fixtures.Folder("qwen2_tied"), ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, model.lm_head.weight.dtype);
        var seq = Fixtures.Sequences[0];
        var got = Unpadded(model, seq);
        var expected = Fixtures.LogProbs("qwen2_tied")[0];
        // bf16 keeps 8 mantissa bits: activations are rounded to ~0.4 %, so log-probs of magnitude ~5 move by a few 0.01.
        Compare(expected, got, "bf16 qwen2", atol: 0.25);
    }

    [Fact]
    public void Float16_compute_stays_close_to_the_float32_reference_or_is_refused_clearly_on_a_cpu_without_half_matmul()
    {
        bool halfMatmul;
        try
        {
            using var a = ones(new long[] { 2, 2 }, ScalarType.Float16);
            using var p = a.matmul(a);
            halfMatmul = true;
        }
        catch (TorchException)
        {
            halfMatmul = false;   // Debian's libtorch 1.13: "addmm_impl_cpu_" not implemented for 'Half'
        }
        if (!halfMatmul)
        {
            var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(Fixtures.Folder("mistral"), ScalarType.Float16));
            Assert.Contains("use bfloat16 or float32 on the CPU", e.Message);
            return;
        }
        using var model = LlamaForCausalLM.from_pretrained(Fixtures.Folder("mistral"), ScalarType.Float16);   // f16 on disk
        var got = Unpadded(model, Fixtures.Sequences[1]);
        // f16 keeps 11 mantissa bits: errors are ~8× smaller than bf16's.
        Compare(Fixtures.LogProbs("mistral")[1], got, "f16 mistral", atol: 0.05);
    }

    private static double Compare(double?[] expected, double[] got, string what, double atol = Tolerance)
    {
        Assert.Null(expected[0]);
        Assert.Equal(expected.Length - 1, got.Length);
        double worst = 0;
        for (int j = 0; j < got.Length; j++)
        {
            double d = Math.Abs(got[j] - expected[j + 1]!.Value);
            worst = Math.Max(worst, d);
            Assert.True(d <= atol, $"{what}: token {j + 1} log-prob {got[j]:R}, reference {expected[j + 1]:R} (|Δ| {d:E2} > {atol})");
        }
        return worst;
    }

    // log p(x_t | x_<t) for t ≥ 1, one sequence without padding or mask.
    internal static double[] Unpadded(LlamaForCausalLM model, long[] seq)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(seq, new long[] { 1, seq.Length });
        var logits = model.forward(ids).logits;  // (1, T, V)
        var lp = F.logprobs_of(logits.narrow(1, 0, seq.Length - 1), ids.narrow(1, 1, seq.Length - 1));
        return lp.to(float64).data<double>();
    }

    // The same for a batch padded on the left or right (pad id 0, mask 0), real positions only.
    private static double[][] Padded(LlamaForCausalLM model, long[][] seqs, bool left)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        int b = seqs.Length, t = seqs.Max(s => s.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        for (int r = 0; r < b; r++)
        {
            int offset = left ? t - seqs[r].Length : 0;
            for (int j = 0; j < seqs[r].Length; j++)
            {
                ids[r * t + offset + j] = seqs[r][j];
                mask[r * t + offset + j] = 1;
            }
        }
        var idsT = tensor(ids, new long[] { b, t });
        var logits = model.forward(idsT, tensor(mask, new long[] { b, t })).logits;  // (B, T, V)
        long v = logits.size(2);
        var lp = F.log_softmax(logits.to(float64), -1).data<double>();              // (B, T, V) row-major
        var result = new double[b][];
        for (int r = 0; r < b; r++)
        {
            int offset = left ? t - seqs[r].Length : 0;
            result[r] = new double[seqs[r].Length - 1];
            for (int j = 1; j < seqs[r].Length; j++)
                result[r][j - 1] = lp[(r * t + offset + j - 1) * v + seqs[r][j]];
        }
        return result;
    }
}
