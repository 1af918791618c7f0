using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;

namespace Alignment.Models.Tests;

// The forward pass: KV cache in chunks equals one full pass, hidden states as transformers returns them, position ids
// from the mask, random initialization as _init_weights.
public class ForwardTests
{
    private static readonly long[] Seq = [3, 9, 17, 4, 22, 8, 1, 30, 41, 2];

    // Float32 logits of magnitude ~10 (wide test weights) computed along two paths agree to ~1e-6 relative.
    private const double Tolerance = 1e-4;

    [Theory]
    [InlineData(null)]   // concatenating cache (works with autograd)
    [InlineData(16)]     // preallocated cache (inference)
    public void Feeding_a_sequence_in_chunks_through_the_cache_equals_one_full_forward(int? capacity)
    {
        using var model = Tiny.Model("qwen3", seed: 21);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var full = model.forward(tensor(Seq, new long[] { 1, Seq.Length })).logits;   // (1, 10, V)

        using var cache = model.new_cache(capacity);
        var parts = new List<Tensor>();
        int[] chunks = [4, 1, 3, 2];
        int at = 0;
        foreach (int n in chunks)
        {
            var ids = tensor(Seq[at..(at + n)], new long[] { 1, n });
            parts.Add(model.forward(ids, past_key_values: cache).logits);
            at += n;
        }
        Assert.Equal(Seq.Length, cache.Length);
        double diff = Tiny.MaxAbsDiff(full, cat(parts, 1));
        Assert.True(diff < Tolerance, $"chunked vs full: {diff}");
    }

    [Fact]
    public void Cache_with_a_left_padded_mask_equals_the_unpadded_sequence()
    {
        using var model = Tiny.Model(seed: 22);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var plain = model.forward(tensor(Seq, new long[] { 1, Seq.Length })).logits;

        // three pads in front; the mask grows with the cache
        var ids = new long[] { 0, 0, 0 }.Concat(Seq).ToArray();
        var mask = new long[] { 0, 0, 0 }.Concat(Enumerable.Repeat(1L, Seq.Length)).ToArray();
        using var cache = model.new_cache(32);
        var first = model.forward(tensor(ids[..8], new long[] { 1, 8 }), tensor(mask[..8], new long[] { 1, 8 }), cache).logits;
        var rest = model.forward(tensor(ids[8..], new long[] { 1, 5 }), tensor(mask, new long[] { 1, 13 }), cache).logits;
        var padded = cat(new[] { first.narrow(1, 3, 5), rest }, 1);
        Assert.True(Tiny.MaxAbsDiff(plain, padded) < Tolerance);

        var e = Assert.Throws<ModelException>(() => model.forward(tensor(ids[..2], new long[] { 1, 2 }), tensor(mask[..2], new long[] { 1, 2 }), cache));
        Assert.Contains("attention_mask must be (B, cached + T)", e.Message);
    }

    [Fact]
    public void Position_ids_follow_the_mask_as_transformers_generate_computes_them()
    {
        using var scope = NewDisposeScope();
        var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 0 }, new long[] { 2, 5 });
        Assert.Equal([1L, 1, 0, 1, 2, 0, 1, 2, 3, 1], LlamaModel.PositionIds(mask, 0, 5).data<long>());
        Assert.Equal([1L, 2, 3, 1], LlamaModel.PositionIds(mask, 3, 2).data<long>());
        Assert.Equal([4L, 5], LlamaModel.PositionIds(null, 4, 2).data<long>());
    }

    [Fact]
    public void Hidden_states_are_the_embeddings_each_layer_and_the_normed_last()
    {
        using var model = Tiny.Model(seed: 23);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var ids = tensor(Seq, new long[] { 1, Seq.Length });
        var o = model.forward(ids, output_hidden_states: true);
        Assert.Equal(3, o.hidden_states!.Count);   // embeddings + 2 layers
        Assert.Equal(0, Tiny.MaxAbsDiff(model.model.embed_tokens.forward(ids), o.hidden_states[0]));
        Assert.Same(o.last_hidden_state, o.hidden_states[^1]);
        Assert.True(Tiny.MaxAbsDiff(model.lm_head.forward(o.last_hidden_state!), o.logits) < 1e-6);

        var last = model.forward(ids, logits_to_keep: 1).logits;
        Assert.Equal(new long[] { 1, 1, 64 }, last.shape);
        Assert.True(Tiny.MaxAbsDiff(o.logits.narrow(1, Seq.Length - 1, 1), last) < 1e-6);
    }

    [Fact]
    public void Random_init_draws_normal_weights_zero_biases_unit_norms_the_same_in_every_dtype()
    {
        var config = TinyModels.Config("qwen2", vocab: 256, hidden: 64, intermediate: 128) with { InitializerRange = 0.05, PadTokenId = 0 };
        using var g = new Generator(7);
        using var f32 = LlamaForCausalLM.from_config(config, g);
        using var g2 = new Generator(7);
        using var bf16 = LlamaForCausalLM.from_config(config, g2, ScalarType.BFloat16);
        using var scope = NewDisposeScope();

        var w = f32.model.layers[0].mlp.up_proj.weight;
        double std = w.to(float64).std_().item<double>(), mean = w.to(float64).mean().item<double>();
        Assert.InRange(std, 0.045, 0.055);        // 8192 draws of N(0, 0.05²): the sample std is within 2 % of 0.05
        Assert.InRange(mean, -0.003, 0.003);
        Assert.All(f32.model.layers[0].self_attn.q_proj.bias!.data<float>(), b => Assert.Equal(0f, b));
        Assert.All(f32.model.norm.weight.data<float>(), x => Assert.Equal(1f, x));
        Assert.All(f32.model.embed_tokens.weight.select(0, 0).data<float>(), x => Assert.Equal(0f, x));   // padding row
        foreach (var (k, v) in f32.state_dict())
            Assert.True(Tiny.MaxAbsDiff(v.to(ScalarType.BFloat16), bf16.state_dict()[k]) == 0, $"{k} differs between dtypes");
    }

    [Theory]
    [InlineData("llama", false)]
    [InlineData("qwen2", true)]
    [InlineData("qwen3", false)]
    public void A_log_likelihood_loss_reaches_every_parameter(string type, bool tied)
    {
        using var model = Tiny.Model(type, seed: 24, tied: tied);
        using var scope = NewDisposeScope();
        var ids = tensor(Seq, new long[] { 1, Seq.Length });
        var lp = nn.functional.logprobs_of(model.forward(ids).logits.narrow(1, 0, Seq.Length - 1), ids.narrow(1, 1, Seq.Length - 1));
        lp.sum().neg().backward();
        foreach (var (name, p) in model.named_parameters())
        {
            using var grad = p.grad;
            Assert.True(grad is not null, $"{name} got no gradient");
            Assert.True(grad!.abs().sum().item<double>() > 0, $"{name} got a zero gradient");
        }
    }

    [Fact]
    public void Tied_embeddings_share_one_parameter()
    {
        using var model = Tiny.Model(tied: true);
        Assert.Same(model.model.embed_tokens.weight, model.lm_head.weight);
        Assert.DoesNotContain(model.named_parameters(), p => p.name == "lm_head.weight");
    }
}

internal static class StdExtension
{
    public static Tensor std_(this Tensor t) => t.var().sqrt();
}
