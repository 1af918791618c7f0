using System.Text.Json.Nodes;
using Alignment.Models.Core;
using Alignment.Models.Llama;

namespace Alignment.Models.Tests;

// config.json parsing: HF keys, transformers' per-type defaults, the sliding-window rules, rope formats, round trip.
public class ConfigTests
{
    private static LlamaConfig Parse(string json) => LlamaConfig.Parse(json);

    [Fact]
    public void Absent_keys_take_each_model_types_transformers_default()
    {
        var llama = Parse("""{"model_type":"llama","hidden_size":64,"num_attention_heads":8}""");
        Assert.Equal(8, llama.KeyValueHeads);
        Assert.Equal(8, llama.HeadDim);
        Assert.Equal(10000.0, llama.Theta);
        Assert.False(llama.Tied);
        Assert.False(llama.QkvBias);

        var mistral = Parse("""{"model_type":"mistral","hidden_size":64,"num_attention_heads":16,"num_hidden_layers":2}""");
        Assert.Equal(8, mistral.KeyValueHeads);            // MistralConfig's default
        Assert.Equal(4096, mistral.SlidingWindowOf(0));    // absent key: 4096

        var qwen3 = Parse("""{"model_type":"qwen3","hidden_size":64,"num_attention_heads":8}""");
        Assert.Equal(128, qwen3.HeadDim);                  // Qwen3Config's head_dim default, not hidden/heads
        Assert.True(qwen3.QkNorm);

        var qwen2 = Parse("""{"model_type":"qwen2","hidden_size":64,"num_attention_heads":8,"attention_bias":false}""");
        Assert.True(qwen2.QkvBias);                        // always, whatever attention_bias says
        Assert.False(qwen2.OutputBias);
    }

    [Fact]
    public void Eos_token_id_may_be_a_number_or_a_list()
    {
        Assert.Equal([2], Parse("""{"model_type":"llama","eos_token_id":2}""").EosTokenId!);
        Assert.Equal([128001, 128008, 128009], Parse("""{"model_type":"llama","eos_token_id":[128001,128008,128009]}""").EosTokenId!);
        Assert.Null(Parse("""{"model_type":"llama","eos_token_id":null}""").EosTokenId);
    }

    [Fact]
    public void Rope_parameters_of_transformers_5_give_theta_and_scaling()
    {
        var c = Parse("""
            {"model_type":"llama","rope_parameters":{"rope_type":"llama3","rope_theta":500000.0,"factor":32.0,
             "low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192}}
            """);
        Assert.Equal(500000.0, c.Theta);
        Assert.Equal("llama3", c.Rope!.Kind);
        Assert.Equal(32.0, c.Rope.Factor);
        Assert.Null(Parse("""{"model_type":"llama","rope_parameters":{"rope_type":"default","rope_theta":1e6}}""").Rope);
        Assert.Equal("llama3", Parse("""{"model_type":"llama","rope_scaling":{"type":"llama3"}}""").RopeScaling!.Kind);   // legacy "type"
    }

    [Fact]
    public void Llama3_frequencies_follow_the_three_bands_computed_by_hand()
    {
        // head_dim 6, theta 10000: f = 1, 10000^(-1/3), 10000^(-2/3); original length 256, low 1, high 4, factor 8
        // → wavelength bands: < 64 kept, > 256 divided by 8, in between blended with s = (256/λ − 1) / 3.
        var s = new RopeScaling { RopeType = "llama3", Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 256 };
        var f = RotaryEmbedding.InverseFrequencies(6, 10000, s);
        double f1 = Math.Pow(10000, -1.0 / 3), f2 = Math.Pow(10000, -2.0 / 3);
        double smooth = (256 / (2 * Math.PI / f1) - 1) / 3;
        Assert.Equal(1.0, f[0], 12);                                     // λ = 6.28 < 64
        Assert.Equal((1 - smooth) * f1 / 8 + smooth * f1, f[1], 12);    // λ = 135 in [64, 256]
        Assert.Equal(f2 / 8, f[2], 12);                                  // λ = 2916 > 256
        Assert.Equal(0.017866, f[1], 6);                                 // the value the Python reference computes
    }

    [Fact]
    public void Sliding_window_applies_per_model_type_rules()
    {
        Assert.Null(Parse("""{"model_type":"mistral","sliding_window":null,"num_hidden_layers":2}""").SlidingWindowOf(0));
        var q = Parse("""{"model_type":"qwen2","use_sliding_window":true,"sliding_window":32,"max_window_layers":1,"num_hidden_layers":2}""");
        Assert.Null(q.SlidingWindowOf(0));
        Assert.Equal(32, q.SlidingWindowOf(1));
        Assert.Null(Parse("""{"model_type":"qwen2","use_sliding_window":false,"sliding_window":32}""").SlidingWindowOf(5));
        var typed = Parse("""{"model_type":"qwen3","use_sliding_window":true,"sliding_window":8,"layer_types":["sliding_attention","full_attention"]}""");
        Assert.Equal(8, typed.SlidingWindowOf(0));
        Assert.Null(typed.SlidingWindowOf(1));
    }

    [Fact]
    public void A_sliding_window_is_a_warning_at_load_and_an_error_only_for_longer_sequences()
    {
        var config = Checkpoints.TinyModels.Config("mistral") with { SlidingWindow = 6, InitializerRange = 0.5 };
        using var g = new Generator(1);
        using var model = LlamaForCausalLM.from_config(config, g);
        Assert.Contains(model.warnings, w => w.Contains("sliding-window attention (window 6) is not implemented"));
        using var scope = NewDisposeScope();
        model.forward(tensor(new long[] { 1, 2, 3, 4, 5, 6 }, new long[] { 1, 6 }));   // within the window: exact
        var e = Assert.Throws<ModelException>(() => model.forward(tensor(new long[] { 1, 2, 3, 4, 5, 6, 7 }, new long[] { 1, 7 })));
        Assert.Contains("7 positions exceed the sliding window of 6", e.Message);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var e = Assert.Throws<ModelException>(() =>
            Parse("""{"model_type":"llama","hidden_size":64,"num_attention_heads":8,"num_key_value_heads":3,"hidden_act":"relu","partial_rotary_factor":0.5}""").Validate());
        foreach (var part in new[] { "'vocab_size' is missing", "'intermediate_size' is missing", "multiple of num_key_value_heads", "hidden_act 'relu'", "partial_rotary_factor" })
            Assert.Contains(part, e.Message);
    }

    [Fact]
    public void Wrong_json_types_and_broken_json_name_the_key_or_file()
    {
        Assert.Contains("hidden_size", Assert.Throws<ModelException>(() => LlamaConfig.Parse("""{"model_type":"llama","hidden_size":"big"}""", "x/config.json")).Message);
        Assert.Contains("x/config.json: not valid JSON", Assert.Throws<ModelException>(() => LlamaConfig.Parse("{", "x/config.json")).Message);
    }

    [Fact]
    public void Json_round_trip_keeps_unknown_keys_and_updates_the_dtype()
    {
        var c = Parse("""{"model_type":"qwen2","custom_key":{"a":[1,2]},"torch_dtype":"bfloat16","dtype":"bfloat16","vocab_size":10}""");
        var back = JsonNode.Parse(c.ToJson(ScalarType.Float16))!.AsObject();
        Assert.Equal("float16", back["torch_dtype"]!.GetValue<string>());
        Assert.Equal("float16", back["dtype"]!.GetValue<string>());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse("""{"a":[1,2]}"""), back["custom_key"]));
        Assert.Equal("Qwen2ForCausalLM", back["architectures"]![0]!.GetValue<string>());

        var built = Checkpoints.TinyModels.Config("qwen3");
        var fromCode = LlamaConfig.Parse(built.ToJson(ScalarType.Float32));
        Assert.Equal(built with { Source = null }, fromCode with { Source = null, TorchDtype = null, Architectures = null },
                     new ConfigComparer());
    }

    private sealed class ConfigComparer : IEqualityComparer<LlamaConfig>
    {
        public bool Equals(LlamaConfig? x, LlamaConfig? y) =>
            x!.ModelType == y!.ModelType && x.Vocab == y.Vocab && x.Hidden == y.Hidden && x.HeadDim == y.HeadDim &&
            x.KeyValueHeads == y.KeyValueHeads && x.Layers == y.Layers && x.EosTokenId!.SequenceEqual(y.EosTokenId!) && x.Theta == y.Theta;

        public int GetHashCode(LlamaConfig obj) => 0;
    }
}
