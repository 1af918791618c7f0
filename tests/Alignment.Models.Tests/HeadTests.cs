using System.Text.Json.Nodes;
using Alignment.Models.Heads;
using Alignment.Models.Llama;
using Alignment.Torch.IO;

namespace Alignment.Models.Tests;

// Score head (reward model) and value head (PPO) against the reference's final hidden states of llama3_rope
// (reference/hf_reference.py, float64): reward = score.weight · h[last real token], value_t = summary.weight · h_t + bias.
// Tolerance 1e-4 (float32 compute).
public class HeadTests
{
    private const double Tolerance = 1e-4;

    private static double Dot(float[] w, double[] h) => w.Select((x, i) => x * h[i]).Sum();

    // Batch of the fixture sequences padded on the left or right (pad id 0), with its mask.
    private static (Tensor ids, Tensor mask) Batch(long[][] seqs, bool left)
    {
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
        return (tensor(ids, new long[] { b, t }), tensor(mask, new long[] { b, t }));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reward_pools_the_last_non_padding_token_with_left_and_right_padding(bool left)
    {
        using var g = new Generator(5);
        using var rm = LlamaForSequenceClassification.from_pretrained(Fixtures.Folder("llama3_rope"), generator: g);
        Assert.Equal(1, rm.num_labels);
        var w = rm.score.weight.data<float>();
        var hidden = Fixtures.FinalHidden();
        var seqs = Fixtures.Sequences;

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask) = Batch(seqs, left);
        var rewards = rm.forward(ids, mask).logits;   // (B, 1)
        Assert.Equal(new long[] { seqs.Length, 1 }, rewards.shape);
        var got = rewards.to(float64).data<double>();
        for (int i = 0; i < seqs.Length; i++)
        {
            double expected = Dot(w, hidden[i][^1]);
            Assert.True(Math.Abs(got[i] - expected) <= Tolerance, $"sequence {i}: reward {got[i]}, expected {expected}");
        }
    }

    [Fact]
    public void Pooling_index_is_the_rightmost_real_token_of_each_row()
    {
        using var scope = NewDisposeScope();
        var mask = tensor(new long[] { 0, 0, 1, 1, 1,   1, 1, 1, 0, 0,   1, 0, 0, 0, 0,   1, 1, 1, 1, 1 }, new long[] { 4, 5 });
        Assert.Equal([4L, 2, 0, 4], LlamaForSequenceClassification.LastTokenIndex(mask, 4, 5).data<long>());
        Assert.Equal([4L, 4], LlamaForSequenceClassification.LastTokenIndex(null, 2, 5).data<long>());
    }

    [Fact]
    public void A_language_model_folder_needs_a_generator_to_start_a_reward_model()
    {
        var e = Assert.Throws<ModelException>(() => LlamaForSequenceClassification.from_pretrained(Fixtures.Folder("qwen3")));
        Assert.Contains("no score.weight", e.Message);
    }

    [Fact]
    public void Reward_model_saves_as_sequence_classification_and_reloads_the_same_scores()
    {
        using var t = new TempDir();
        using var g = new Generator(9);
        using var rm = LlamaForSequenceClassification.from_pretrained(Fixtures.Folder("qwen2_tied"), num_labels: 1, generator: g);
        rm.save_pretrained(t.Sub("rm"));

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(t.Sub("rm"), "config.json")))!;
        Assert.Equal("Qwen2ForSequenceClassification", config["architectures"]![0]!.GetValue<string>());
        Assert.Equal("LABEL_0", config["id2label"]!["0"]!.GetValue<string>());
        using (var ckpt = ShardedCheckpoint.Open(t.Sub("rm")))
        {
            Assert.Equal(new long[] { 1, 24 }, ckpt.Info("score.weight").Shape);
            Assert.False(ckpt.Contains("lm_head.weight"));
        }

        using var back = LlamaForSequenceClassification.from_pretrained(t.Sub("rm"));
        Assert.Equal(1, back.num_labels);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask) = Batch(Fixtures.Sequences, left: true);
        Assert.Equal(0, Tiny.MaxAbsDiff(rm.forward(ids, mask).logits, back.forward(ids, mask).logits));
    }

    [Fact]
    public void Values_are_the_summary_layer_on_every_final_hidden_state_in_float32()
    {
        using var g = new Generator(4);
        using var m = CausalLMWithValueHead.from_pretrained(Fixtures.Folder("llama3_rope"), g);
        m.eval();
        var w = m.v_head.summary.weight.data<float>();
        double bias = m.v_head.summary.bias!.item<float>();
        var hidden = Fixtures.FinalHidden();

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (ids, mask) = Batch(Fixtures.Sequences, left: true);
        var o = m.forward(ids, mask);
        Assert.Equal(ScalarType.Float32, o.values.dtype);
        Assert.Equal(ids.shape, o.values.shape);
        var values = o.values.to(float64).data<double>();
        int t = (int)ids.size(1);
        for (int i = 0; i < hidden.Length; i++)
        {
            int offset = t - hidden[i].Length;
            for (int j = 0; j < hidden[i].Length; j++)
            {
                double expected = Dot(w, hidden[i][j]) + bias;
                Assert.True(Math.Abs(values[i * t + offset + j] - expected) <= Tolerance, $"sequence {i} token {j}");
            }
        }
    }

    [Fact]
    public void Value_head_model_keys_follow_trl_and_round_trip_through_a_folder()
    {
        using var t = new TempDir();
        using var g = new Generator(4);
        using var m = CausalLMWithValueHead.from_pretrained(Fixtures.Folder("qwen2_tied"), g, dtype: ScalarType.BFloat16);
        var keys = m.state_dict().Keys.ToList();
        Assert.Contains("v_head.summary.weight", keys);
        Assert.Contains("v_head.summary.bias", keys);
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", keys);
        Assert.Contains("lm_head.weight", keys);
        Assert.Equal(ScalarType.Float32, m.v_head.summary.weight.dtype);   // kept in float32 under a bf16 policy

        m.save_pretrained(t.Sub("ppo"));
        using (var ckpt = ShardedCheckpoint.Open(t.Sub("ppo")))
        {
            Assert.True(ckpt.Contains("v_head.summary.weight"));
            Assert.False(ckpt.Contains("lm_head.weight"));   // tied
        }
        using var back = CausalLMWithValueHead.from_pretrained(t.Sub("ppo"), dtype: ScalarType.BFloat16);
        Assert.Equal(0, Tiny.MaxAbsDiff(m.v_head.summary.weight, back.v_head.summary.weight));
        using var policyOnly = LlamaForCausalLM.from_pretrained(t.Sub("ppo"));   // v_head tensors ignored
        Assert.DoesNotContain(policyOnly.state_dict().Keys, k => k.StartsWith("v_head", StringComparison.Ordinal));
    }
}
