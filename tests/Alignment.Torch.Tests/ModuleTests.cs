using static Alignment.Torch.torch.nn;

namespace Alignment.Torch.Tests;

// Module registration, naming, state_dict / load_state_dict, freezing, modes and in-place conversion.
public class ModuleTests
{
    private static TinyScorer NewScorer(ulong seed = 1, int layers = 2)
    {
        using var g = new Generator(seed);
        return new TinyScorer(vocab: 11, dim: 4, layers: layers, generator: g);
    }

    [Fact]
    public void State_dict_uses_dotted_hugging_face_style_names_in_registration_order()
    {
        using var m = NewScorer();
        var keys = m.state_dict().Keys.ToList();
        var expected = new List<string> { "model.embed_tokens.weight" };
        for (int i = 0; i < 2; i++)
            expected.AddRange(new[]
            {
                $"model.layers.{i}.norm.weight", $"model.layers.{i}.up_proj.weight",
                $"model.layers.{i}.down_proj.weight", $"model.layers.{i}.down_proj.bias",
            });
        expected.AddRange(new[] { "model.norm.weight", "score.weight" });
        Assert.Equal(expected, keys);
        Assert.Equal(expected, m.named_parameters().Select(p => p.name).ToList());
        Assert.Equal(new long[] { 11, 4 }, m.get_parameter("model.embed_tokens.weight").shape);
        Assert.Equal(new long[] { 8, 4 }, m.get_parameter("model.layers.1.up_proj.weight").shape);
    }

    [Fact]
    public void Module_list_names_children_by_index_and_indexes_from_both_ends()
    {
        using var list = new ModuleList(new Linear(2, 3), new Linear(3, 4), new Linear(4, 5, bias: false));
        Assert.Equal(3, list.Count);
        Assert.Equal(new[] { "0", "1", "2" }, list.named_children().Select(c => c.name));
        Assert.Equal(new[] { "0.weight", "0.bias", "1.weight", "1.bias", "2.weight" }, list.state_dict().Keys);
        Assert.Equal(5, ((Linear)list[-1]).out_features);
        Assert.Same(list[1], list.ToList()[1]);
        Assert.Throws<TorchException>(() => list[3]);
        Assert.Equal(new[] { "", "0", "1", "2" }, list.named_modules().Select(m => m.name));
    }

    [Fact]
    public void Buffers_persistent_ones_are_in_the_state_dict_and_non_persistent_ones_are_not()
    {
        using var m = new ModuleList(new Linear(2, 2));
        m.register_buffer("steps", tensor(new long[] { 7 }));
        m.register_buffer("cache", zeros(3), persistent: false);
        Assert.Equal(new[] { "steps", "cache" }, m.named_buffers().Select(b => b.name));
        // PyTorch order: own parameters, own buffers, then children.
        Assert.Equal(new[] { "steps", "0.weight", "0.bias" }, m.state_dict().Keys);
    }

    [Fact]
    public void Registering_a_name_twice_as_different_kinds_or_with_a_dot_fails()
    {
        using var m = new ModuleList(new Linear(2, 2));
        Assert.Throws<TorchException>(() => m.register_buffer("0", zeros(1)));
        var e = Assert.Throws<TorchException>(() => m.register_parameter("a.b", new Parameter(zeros(1))));
        Assert.Contains("must not contain '.'", e.Message);
    }

    [Fact]
    public void Tied_parameters_are_listed_once_but_saved_under_both_names()
    {
        using var g = new Generator(3);
        using var list = new ModuleList(new Embedding(5, 3, generator: g), new Linear(3, 5, bias: false, generator: g));
        var embedding = (Embedding)list[0];
        list[1].register_parameter("weight", embedding.weight);   // lm_head tied to embed_tokens
        Assert.Single(list.parameters());
        Assert.Equal(new[] { "0.weight", "1.weight" }, list.state_dict().Keys);
        Assert.Same(list.state_dict()["0.weight"], list.state_dict()["1.weight"]);
    }

    [Fact]
    public void Load_state_dict_copies_values_so_two_models_compute_the_same_output()
    {
        using var a = NewScorer(seed: 1);
        using var b = NewScorer(seed: 2);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        a.eval();
        b.eval();
        Assert.NotEqual(a.forward(ids).data<float>(), b.forward(ids).data<float>());
        var result = b.load_state_dict(a.state_dict());
        Assert.Empty(result.missing_keys);
        Assert.Empty(result.unexpected_keys);
        Assert.Equal(a.forward(ids).data<float>(), b.forward(ids).data<float>());
        Assert.False(b.get_parameter("score.weight").grad_fn_name.Length > 0, "loaded parameters stay leaves");
    }

    [Fact]
    public void Strict_load_lists_missing_unexpected_and_mismatched_keys_and_changes_nothing()
    {
        using var m = NewScorer(layers: 1);
        using var scope = NewDisposeScope();
        var before = m.get_parameter("score.weight").data<float>();
        var state = new Dictionary<string, Tensor>
        {
            ["model.embed_tokens.weight"] = zeros(12, 4),                 // shape mismatch (vocab 11)
            ["model.layers.0.norm.weight"] = ones(4),
            ["model.layers.0.up_proj.weight"] = zeros(8, 4),
            ["model.layers.0.down_proj.weight"] = zeros(4, 8),
            ["model.layers.0.down_proj.bias"] = zeros(4),
            ["model.norm.weight"] = ones(4),
            ["lm_head.weight"] = zeros(11, 4),                            // unexpected; score.weight is missing
        };
        var e = Assert.Throws<TorchException>(() => m.load_state_dict(state));
        Assert.Contains("Error(s) in loading state_dict for TinyScorer", e.Message);
        Assert.Contains("Missing key(s) (1):\n    score.weight", e.Message);
        Assert.Contains("Unexpected key(s) (1):\n    lm_head.weight", e.Message);
        Assert.Contains("model.embed_tokens.weight: expected shape [11, 4], got [12, 4]", e.Message);
        Assert.Contains("Hint:", e.Message);
        Assert.Equal(before, m.get_parameter("score.weight").data<float>());
        Assert.NotEqual(0f, m.get_parameter("model.layers.0.up_proj.weight").data<float>().Select(Math.Abs).Sum());
    }

    [Fact]
    public void Non_strict_load_skips_and_reports_keys_but_still_rejects_shape_mismatches()
    {
        using var m = new ModuleList(new Linear(2, 3));
        using var scope = NewDisposeScope();
        var result = m.load_state_dict(new Dictionary<string, Tensor> { ["0.weight"] = ones(3, 2), ["extra"] = ones(1) }, strict: false);
        Assert.Equal(new[] { "0.bias" }, result.missing_keys);
        Assert.Equal(new[] { "extra" }, result.unexpected_keys);
        Assert.All(((Linear)m[0]).weight.data<float>(), v => Assert.Equal(1f, v));
        var e = Assert.Throws<TorchException>(() => m.load_state_dict(new Dictionary<string, Tensor> { ["0.weight"] = ones(2, 3) }, strict: false));
        Assert.Contains("0.weight: expected shape [3, 2], got [2, 3]", e.Message);
    }

    [Fact]
    public void A_checkpoint_with_an_extra_prefix_gets_a_hint_naming_it()
    {
        using var inner = new ModuleList(new Linear(2, 2));
        using var scope = NewDisposeScope();
        var state = new Dictionary<string, Tensor> { ["model.0.weight"] = zeros(2, 2), ["model.0.bias"] = zeros(2) };
        var e = Assert.Throws<TorchException>(() => inner.load_state_dict(state));
        Assert.Contains("extra prefix 'model.'", e.Message);
    }

    [Fact]
    public void Frozen_parameters_get_no_gradient_and_the_others_do()
    {
        using var m = NewScorer();
        m.model.layers[0].requires_grad_(false);
        using var scope = NewDisposeScope();
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        m.forward(ids).sum().backward();
        foreach (var (name, p) in m.named_parameters())
        {
            using var g = p.grad;
            if (name.StartsWith("model.layers.0.", StringComparison.Ordinal))
            {
                Assert.False(p.requires_grad, name);
                Assert.Null(g);
            }
            else
            {
                Assert.True(p.requires_grad, name);
                Assert.NotNull(g);
            }
        }
        m.zero_grad();
        Assert.All(m.parameters(), p => Assert.Null(p.grad));
    }

    [Fact]
    public void Zero_grad_without_set_to_none_keeps_zero_filled_gradients()
    {
        using var lin = new Linear(3, 2);
        using var scope = NewDisposeScope();
        lin.forward(ones(1, 3)).sum().backward();
        lin.zero_grad(set_to_none: false);
        Assert.All(lin.weight.grad!.data<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Train_and_eval_toggle_dropout_in_every_descendant()
    {
        using var m = NewScorer();
        var dropouts = m.modules().OfType<Dropout>().ToList();
        Assert.Equal(2, dropouts.Count);
        Assert.All(m.modules(), mod => Assert.True(mod.training));
        using var scope = NewDisposeScope();
        var x = ones(1000);
        var drop = new Dropout(0.5);
        manual_seed(0);
        var trained = drop.forward(x).data<float>();
        Assert.Contains(0f, trained);                       // some dropped
        Assert.Contains(2f, trained);                       // the rest scaled by 1/(1-p)
        drop.eval();
        Assert.All(drop.forward(x).data<float>(), v => Assert.Equal(1f, v));
        Assert.Same(m, m.eval());
        Assert.All(m.modules(), mod => Assert.False(mod.training));
        m.train();
        Assert.All(dropouts, d => Assert.True(d.training));
        drop.Dispose();
    }

    [Fact]
    public void To_dtype_converts_parameters_in_place_keeping_the_objects_and_integer_buffers()
    {
        using var lin = new Linear(3, 2);
        lin.register_buffer("ids", tensor(new long[] { 1, 2 }));
        var weight = lin.weight;
        var before = weight.data<float>();
        using var scope = NewDisposeScope();
        lin.forward(ones(1, 3)).sum().backward();
        Assert.Same(lin, lin.to(float64));
        Assert.Same(weight, lin.weight);
        Assert.Equal(ScalarType.Float64, weight.dtype);
        Assert.Equal(ScalarType.Float64, weight.grad!.dtype);
        Assert.True(weight.requires_grad && weight.is_leaf);
        Assert.Equal(ScalarType.Int64, lin.get_buffer("ids").dtype);
        Assert.Equal(before.Select(v => (double)v), weight.data<double>());
        Assert.Equal(ScalarType.Float64, lin.forward(ones(new long[] { 1, 3 }, float64)).dtype);
    }

    [Fact]
    public void Linear_init_is_uniform_within_one_over_sqrt_fan_in_and_seedable()
    {
        using var g1 = new Generator(42);
        using var g2 = new Generator(42);
        using var a = new Linear(16, 300, generator: g1);
        using var b = new Linear(16, 300, generator: g2);
        var w = a.weight.data<float>();
        Assert.Equal(w, b.weight.data<float>());
        Assert.Equal(a.bias!.data<float>(), b.bias!.data<float>());
        Assert.All(w, v => Assert.InRange(v, -0.25f, 0.25f));
        Assert.True(w.Max() > 0.24f && w.Min() < -0.24f, "the draws fill the ±1/√16 range");
        Assert.All(a.bias.data<float>(), v => Assert.InRange(v, -0.25f, 0.25f));
        using var noBias = new Linear(16, 4, bias: false);
        Assert.Null(noBias.bias);
        Assert.Single(noBias.parameters());
    }

    [Fact]
    public void Linear_forward_is_x_times_w_transposed_plus_b()
    {
        using var lin = new Linear(2, 2);
        using var scope = NewDisposeScope();
        lin.load_state_dict(new Dictionary<string, Tensor>
        {
            ["weight"] = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 }),
            ["bias"] = tensor(new float[] { 10, 20 }),
        });
        // [1, 1] · [[1, 3], [2, 4]] + [10, 20] = [13, 27]
        Assert.Equal(new float[] { 13, 27 }, lin.forward(tensor(new float[] { 1, 1 }, new long[] { 1, 2 })).data<float>());
    }

    [Fact]
    public void Embedding_padding_row_starts_at_zero_and_gets_no_gradient()
    {
        using var g = new Generator(5);
        using var emb = new Embedding(6, 3, padding_idx: -1, generator: g);
        Assert.Equal(5, emb.padding_idx);
        var w = emb.weight.data<float>();
        Assert.Equal(new float[3], w[15..18]);
        Assert.NotEqual(0f, w[..15].Select(Math.Abs).Sum());
        using var scope = NewDisposeScope();
        emb.forward(tensor(new long[] { 5, 1, 5 })).sum().backward();
        var grad = emb.weight.grad!.data<float>();
        Assert.Equal(new float[] { 1, 1, 1 }, grad[3..6]);
        Assert.Equal(new float[3], grad[15..18]);
    }

    [Fact]
    public void RMSNorm_matches_the_formula_and_computes_half_inputs_in_float32()
    {
        using var norm = new RMSNorm(4, eps: 1e-6);
        using var scope = NewDisposeScope();
        norm.load_state_dict(new Dictionary<string, Tensor> { ["weight"] = tensor(new float[] { 1, 2, 3, 4 }) });
        var x = new float[] { 1, -2, 3, 0.5f };
        double rms = Math.Sqrt(x.Select(v => (double)v * v).Average() + 1e-6);
        var expected = x.Select((v, i) => (float)(v / rms * (i + 1))).ToArray();
        var y = norm.forward(tensor(x, new long[] { 1, 4 })).data<float>();
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], y[i], 1e-6f);
        // float16 in, float16 weight: float16 out, within half precision of the float32 result.
        norm.to(float16);
        var yh = norm.forward(tensor(x, new long[] { 1, 4 }).half());
        Assert.Equal(ScalarType.Float16, yh.dtype);
        var yhf = yh.@float().data<float>();
        for (int i = 0; i < 4; i++) Assert.Equal(expected[i], yhf[i], 1e-2f);
    }

    [Fact]
    public void Parameter_takes_over_its_source_and_is_outside_dispose_scopes()
    {
        Parameter p;
        Tensor source;
        using (NewDisposeScope())
        {
            source = ones(2, 2).mul(3);
            p = new Parameter(source);
        }
        Assert.True(source.IsDisposed);
        Assert.False(p.IsDisposed);
        Assert.True(p.requires_grad && p.is_leaf);
        Assert.Equal(new float[] { 3, 3, 3, 3 }, p.data<float>());
        p.Dispose();
        Assert.Throws<TorchException>(() => new Parameter(tensor(new long[] { 1 })));   // integers cannot require grad
    }
}
