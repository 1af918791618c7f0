using System.Text.Json.Nodes;
using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Models.Peft;
using Alignment.Torch.IO;

namespace Alignment.Models.Tests;

// Prefix tuning, prompt tuning, P-tuning and IA3 beyond the reference forward (PeftParityTests): generation through the
// KV cache and in left-padded batches, PEFT's saved layout and loading it back, merge, and which parameters train.
public class PeftTests
{
    private static readonly long[][] Prompts = [[5, 9, 3, 17, 4], [8, 2], [30, 12, 6]];

    private static PromptLearningConfig Prefix(bool projection = false) =>
        new() { PeftType = PromptLearningConfig.PrefixTuning, NumVirtualTokens = 3, PrefixProjection = projection, EncoderHiddenSize = projection ? 10 : null };

    public static TheoryData<string> Methods => new("prefix", "prefix_projection", "prompt", "p_mlp", "p_lstm");

    private static PromptLearningConfig ConfigOf(string method) => method switch
    {
        "prefix" => Prefix(),
        "prefix_projection" => Prefix(projection: true),
        "prompt" => new() { PeftType = PromptLearningConfig.PromptTuning, NumVirtualTokens = 4 },
        "p_mlp" => new() { PeftType = PromptLearningConfig.PTuning, NumVirtualTokens = 3, EncoderHiddenSize = 10 },
        _ => new() { PeftType = PromptLearningConfig.PTuning, NumVirtualTokens = 3, EncoderHiddenSize = 5, EncoderReparameterizationType = "LSTM" },
    };

    // Trainable parameters of each method on Tiny.Model() (llama, hidden 32, 2 layers, 4 heads of 8, 2 kv heads):
    // P·L·2·token_dim (token_dim = kv heads·head_dim = 16) for prefix tuning; P·d + (d·h + h) + (h·2Ld + 2Ld) with
    // projection; P·hidden for prompt tuning; the table plus three linear layers (MLP) or a 2-layer bidirectional LSTM
    // (4h·in + 4h·h + 8h per direction and layer) plus Linear(2h, 2h) and Linear(2h, hidden) for P-tuning.
    private static long Formula(string method)
    {
        const long L = 2, hidden = 32, td = 16;
        return method switch
        {
            "prefix" => 3 * L * 2 * td,
            "prefix_projection" => 3 * td + (td * 10 + 10) + (10 * L * 2 * td + L * 2 * td),
            "prompt" => 4 * hidden,
            "p_mlp" => 3 * hidden + (hidden * 10 + 10) + (10 * 10 + 10) + (10 * hidden + hidden),
            _ => 3 * hidden + 2 * (4 * 5 * hidden + 4 * 5 * 5 + 8 * 5) + 2 * (4 * 5 * 10 + 4 * 5 * 5 + 8 * 5) + (10 * 10 + 10) + (10 * hidden + hidden),
        };
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Generation_through_the_cache_equals_generation_without_it_and_batches_equal_single_rows(string method)
    {
        using var model = Tiny.Model();
        using var g = new Generator(3);
        PromptLearning.add_adapter(model, ConfigOf(method), g);
        model.eval();
        var options = new GenerationOptions { MaxNewTokens = 6, PadTokenId = 0 };
        var cached = CausalLMGenerator.Generate(model, Prompts, options);
        var uncached = CausalLMGenerator.Generate(model, Prompts, options with { UseCache = false });
        for (int i = 0; i < Prompts.Length; i++)
        {
            Assert.Equal(uncached[i].Tokens, cached[i].Tokens);
            Assert.Equal(uncached[i].LogProbs, cached[i].LogProbs, (a, b) => Math.Abs(a - b) < 1e-4);
            var alone = CausalLMGenerator.Generate(model, [Prompts[i]], options)[0];   // left padding changes nothing
            Assert.Equal(alone.Tokens, cached[i].Tokens);
        }
        PromptLearning.remove_adapter(model);
        var plain = CausalLMGenerator.Generate(model, Prompts, options);
        Assert.True(Enumerable.Range(0, Prompts.Length).Any(i => !plain[i].Tokens.SequenceEqual(cached[i].Tokens)),
                    "the adapter changed no generated token, so the test proves nothing");
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Training_changes_exactly_the_adapter_whose_size_is_the_methods_formula(string method)
    {
        using var model = Tiny.Model();
        using var g = new Generator(4);
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var encoder = PromptLearning.add_adapter(model, ConfigOf(method), g);
        var start = encoder.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.All(trainable, p => Assert.StartsWith("model.prompt_encoder.", p.name));
        Assert.Equal(Formula(method), trainable.Sum(p => p.parameter.numel()));

        Train(model, trainable.Select(p => p.parameter));
        foreach (var (key, t) in before) Assert.True(Tiny.MaxAbsDiff(t, model.state_dict()[key]) == 0, $"{key} changed");
        foreach (var (key, t) in start) Assert.True(Tiny.MaxAbsDiff(t, encoder.state_dict()[key]) > 0, $"{key} did not train");
    }

    [Fact]
    public void Ia3_trains_only_its_vectors_of_the_formulas_size_and_merges_to_the_same_logits()
    {
        using var model = Tiny.Model();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var names = Ia3Model.add_adapters(model, new Ia3Config());
        Assert.Equal(6, names.Count);                            // k_proj, v_proj, down_proj × 2 layers
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.All(trainable, p => Assert.EndsWith(".ia3_l", p.name));
        Assert.Equal(2 * (16 + 16 + 64), trainable.Sum(p => p.parameter.numel()));   // L·(kv width ·2 + intermediate)
        using var scope = NewDisposeScope();
        var start = Logits(model);
        Assert.Equal(0, Tiny.MaxAbsDiff(Logits(before), start));   // vectors of ones change nothing

        Train(model, trainable.Select(p => p.parameter));
        foreach (var (key, t) in before) Assert.True(Tiny.MaxAbsDiff(t, model.state_dict()[key]) == 0, $"{key} changed");
        Assert.All(trainable, p => Assert.True(p.parameter.to(float64).sub(1).abs().max().item<double>() > 0, $"{p.name} did not train"));

        var adapted = Logits(model);
        Assert.True(Tiny.MaxAbsDiff(start, adapted) > 1e-3);
        var refused = Assert.Throws<ModelException>(() => model.save_pretrained(Path.Combine(Path.GetTempPath(), "never-" + Guid.NewGuid())));
        Assert.Contains("IA3", refused.Message);
        Ia3Model.merge_and_unload(model);
        Assert.DoesNotContain(model.state_dict().Keys, k => k.Contains("ia3"));
        Assert.True(Tiny.MaxAbsDiff(adapted, Logits(model)) < 1e-4);
    }

    [Fact]
    public void Ia3_merge_scales_the_output_rows_and_bias_or_the_input_columns()
    {
        using var layer = new Core.LoraLinear(3, 2, bias: true, ScalarType.Float32);
        using (no_grad())
        {
            layer.weight.copy_(tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 }));
            layer.bias!.copy_(tensor(new float[] { 1, -1 }, new long[] { 2 }));
        }
        layer.add_ia3(feedforward: false);
        using (no_grad()) layer.ia3_l!.copy_(tensor(new float[] { 2, 3 }, new long[] { 2, 1 }));
        var x = tensor(new float[] { 1, 1, 1 }, new long[] { 1, 3 });
        Assert.Equal(new float[] { (6 + 1) * 2, (15 - 1) * 3 }, layer.forward(x).data<float>());   // (x·Wᵀ + b)·l
        layer.merge_ia3();
        Assert.Equal(new float[] { 2, 4, 6, 12, 15, 18 }, layer.weight.data<float>());
        Assert.Equal(new float[] { 2, -3 }, layer.bias!.data<float>());

        using var ff = new Core.LoraLinear(3, 2, bias: true, ScalarType.Float32);
        using (no_grad())
        {
            ff.weight.copy_(tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 }));
            ff.bias!.copy_(tensor(new float[] { 1, -1 }, new long[] { 2 }));
        }
        ff.add_ia3(feedforward: true);
        using (no_grad()) ff.ia3_l!.copy_(tensor(new float[] { 1, 0, 2 }, new long[] { 1, 3 }));
        Assert.Equal(new float[] { 1 + 6 + 1, 4 + 12 - 1 }, ff.forward(x).data<float>());   // (x·l)·Wᵀ + b
        ff.merge_ia3();
        Assert.Equal(new float[] { 1, 0, 6, 4, 0, 12 }, ff.weight.data<float>());
        Assert.Equal(new float[] { 1, -1 }, ff.bias!.data<float>());                              // input scaling leaves b
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Saved_prompt_adapter_has_pefts_layout_and_loads_back_to_the_same_logits(string method)
    {
        using var t = new TempDir();
        using var model = Tiny.Model();
        using var g = new Generator(5);
        var config = ConfigOf(method);
        PromptLearning.add_adapter(model, config, g);
        model.eval();
        PromptLearning.save_adapter(model, t.Sub("a"), "base-model");

        // PEFT's get_peft_model_state_dict for prompt learning: the one key "prompt_embeddings", the encoder's output.
        using (var file = SafetensorsFile.Open(Path.Combine(t.Sub("a"), "adapter_model.safetensors")))
        {
            Assert.Equal(["prompt_embeddings"], file.Names);
            long width = config.IsPrefix ? 2 * 2 * 16 : 32;
            Assert.Equal(new[] { (long)config.NumVirtualTokens, width }, file.Info("prompt_embeddings").Shape);
        }
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(t.Sub("a"), "adapter_config.json")))!.AsObject();
        Assert.Equal(config.PeftType, json["peft_type"]!.GetValue<string>());
        Assert.Equal("CAUSAL_LM", json["task_type"]!.GetValue<string>());
        Assert.Equal(config.NumVirtualTokens, json["num_virtual_tokens"]!.GetValue<int>());
        Assert.Equal(2, json["num_layers"]!.GetValue<int>());
        Assert.Equal(1, json["num_transformer_submodules"]!.GetValue<int>());
        Assert.Equal(config.IsPrefix ? 16 : 32, json["token_dim"]!.GetValue<int>());            // grouped-query: kv heads · head_dim
        Assert.Equal(config.IsPrefix ? 2 : 4, json["num_attention_heads"]!.GetValue<int>());
        Assert.Equal("base-model", json["base_model_name_or_path"]!.GetValue<string>());
        if (config.IsPrefix) Assert.Equal(config.PrefixProjection, json["prefix_projection"]!.GetValue<bool>());
        if (config.PeftType == PromptLearningConfig.PTuning)
            Assert.Equal(config.EncoderReparameterizationType, json["encoder_reparameterization_type"]!.GetValue<string>());

        using var scope = NewDisposeScope();
        var expected = Logits(model);
        var refused = Assert.Throws<ModelException>(() => model.save_pretrained(t.Sub("merged")));
        Assert.Contains("cannot be merged", refused.Message);
        using var fresh = Tiny.Model();
        PromptLearning.load_adapter(fresh, t.Sub("a"));
        fresh.eval();
        Assert.True(Tiny.MaxAbsDiff(expected, Logits(fresh)) < 1e-5);
        Assert.All(fresh.parameters(), p => Assert.False(p.requires_grad));

        using var other = LlamaForCausalLM.from_pretrained(Fixtures.Folder("llama3_rope"));    // hidden 24: another base model
        var e = Assert.Throws<ModelException>(() => PromptLearning.load_adapter(other, t.Sub("a")));
        Assert.Contains("token_dim", e.Message);
    }

    [Fact]
    public void Saved_ia3_adapter_has_pefts_keys_and_config_and_loads_back()
    {
        using var t = new TempDir();
        using var model = Tiny.Model();
        Ia3Model.add_adapters(model, new Ia3Config());
        using (no_grad())
        using (var g = new Generator(6))
            foreach (var (_, layer) in Ia3Model.AdaptedLayers(model)) layer.ia3_l!.normal_(1, 0.3, g);
        Ia3Model.save_adapter(model, t.Sub("a"), "base");
        using (var file = SafetensorsFile.Open(Path.Combine(t.Sub("a"), "adapter_model.safetensors")))
        {
            Assert.Equal(6, file.Names.Count());
            Assert.Equal(new long[] { 16, 1 }, file.Info("base_model.model.model.layers.0.self_attn.k_proj.ia3_l").Shape);
            Assert.Equal(new long[] { 16, 1 }, file.Info("base_model.model.model.layers.1.self_attn.v_proj.ia3_l").Shape);
            Assert.Equal(new long[] { 1, 64 }, file.Info("base_model.model.model.layers.0.mlp.down_proj.ia3_l").Shape);
        }
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(t.Sub("a"), "adapter_config.json")))!.AsObject();
        Assert.Equal("IA3", json["peft_type"]!.GetValue<string>());
        Assert.Equal(["down_proj", "k_proj", "v_proj"], json["target_modules"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal(["down_proj"], json["feedforward_modules"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.True(json["init_ia3_weights"]!.GetValue<bool>());

        using var scope = NewDisposeScope();
        var expected = Logits(model);
        using var fresh = Tiny.Model();
        Ia3Model.load_adapter(fresh, t.Sub("a"));
        Assert.Equal(0, Tiny.MaxAbsDiff(expected, Logits(fresh)));

        var path = Path.Combine(t.Sub("a"), "adapter_config.json");
        json["feedforward_modules"] = new JsonArray("up_proj");
        File.WriteAllText(path, json.ToJsonString());
        using var third = Tiny.Model();
        var e = Assert.Throws<ModelException>(() => Ia3Model.load_adapter(third, t.Sub("a")));
        Assert.Contains("feedforward_modules [up_proj]", e.Message);
    }

    [Theory]
    [InlineData("houlsby", 2 * 2 * ((32 * 2 + 2) + (2 * 32 + 32)))]   // 2 adapters × 2 layers, each Linear(32, 32/16) + Linear(2, 32)
    [InlineData("pfeiffer", 2 * ((32 * 2 + 2) + (2 * 32 + 32)))]      // 1 adapter × 2 layers
    public void Bottleneck_adapters_start_as_the_identity_train_alone_save_load_and_refuse_to_merge(string config, long size)
    {
        using var t = new TempDir();
        using var model = Tiny.Model();
        using var g = new Generator(7);
        using var scope = NewDisposeScope();
        var before = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var start = Logits(model);
        BottleneckAdapters.add_adapters(model, new BottleneckConfig { Config = config }, g);
        Assert.Equal(0, Tiny.MaxAbsDiff(start, Logits(model)));           // adapter_up starts at zero: the identity
        var trainable = model.named_parameters().Where(p => p.parameter.requires_grad).ToList();
        Assert.Equal(size, trainable.Sum(p => p.parameter.numel()));
        Assert.All(trainable, p => Assert.Matches(@"^model\.layers\.\d\.(attention|output)_adapter\.adapter_(down|up)\.(weight|bias)$", p.name));
        Assert.Equal(config == "houlsby", model.model.layers.First().attention_adapter is not null);
        Assert.Equal(config == "houlsby" ? "swish" : "relu", model.model.layers.First().output_adapter!.non_linearity);   // AdapterHub's defaults

        var initial = trainable.ToDictionary(p => p.name, p => p.parameter.detach().clone());
        Train(model, trainable.Select(p => p.parameter));
        foreach (var (key, v) in before) Assert.True(Tiny.MaxAbsDiff(v, model.state_dict()[key]) == 0, $"{key} changed");
        foreach (var (key, v) in initial) Assert.True(Tiny.MaxAbsDiff(v, model.state_dict()[key]) > 0, $"{key} did not train");

        model.eval();
        var adapted = Logits(model);
        var e = Assert.Throws<ModelException>(() => model.save_pretrained(t.Sub("merged")));
        Assert.Contains("cannot be merged", e.Message);
        Assert.Throws<ModelException>(() => PeftAdapter.merge_and_unload(model));
        BottleneckAdapters.save_adapter(model, t.Sub("a"), "base");
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(t.Sub("a"), "adapter_config.json")))!.AsObject();
        Assert.Equal("BOTTLENECK", json["peft_type"]!.GetValue<string>());
        Assert.Equal(config, json["config"]!.GetValue<string>());
        Assert.Equal(16, json["reduction_factor"]!.GetValue<int>());
        using var fresh = Tiny.Model();
        Assert.Equal("BOTTLENECK", PeftAdapter.load_adapter(fresh, t.Sub("a")));
        fresh.eval();
        Assert.Equal(0, Tiny.MaxAbsDiff(adapted, Logits(fresh)));
    }

    [Fact]
    public void Prompt_tuning_text_init_starts_from_the_texts_token_embeddings_repeated_to_the_virtual_tokens()
    {
        using var model = Tiny.Model();
        using var g = new Generator(8);
        // PEFT: the text's ids are cut or repeated to num_virtual_tokens, and their word embeddings become the table.
        var encoder = PromptLearning.add_adapter(model, new PromptLearningConfig
        {
            PeftType = PromptLearningConfig.PromptTuning, NumVirtualTokens = 5, PromptTuningInit = "TEXT", PromptTuningInitText = "some text",
        }, g, initTokenIds: [7, 3]);
        var table = ((PromptEmbedding)encoder).embedding.data<float>();
        var words = model.model.embed_tokens.weight.data<float>();
        long[] expectedIds = [7, 3, 7, 3, 7];
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 32; c++)
                Assert.Equal(words[expectedIds[r] * 32 + c], table[r * 32 + c]);
        using var other = Tiny.Model();
        var e = Assert.Throws<ModelException>(() => PromptLearning.add_adapter(other, new PromptLearningConfig
            { PeftType = PromptLearningConfig.PromptTuning, PromptTuningInit = "TEXT" }, g));
        Assert.Contains("prompt_tuning_init_text", e.Message);
    }

    private static readonly long[] Seq = [3, 9, 17, 4, 22, 8, 1, 30];

    private static Tensor Logits(LlamaForCausalLM m)
    {
        using var noGrad = no_grad();
        return m.forward(tensor(Seq, new long[] { 1, Seq.Length })).logits;
    }

    private static Tensor Logits(Dictionary<string, Tensor> state)
    {
        using var m = Tiny.Model();
        using (no_grad()) foreach (var (k, t) in state) m.state_dict()[k].copy_(t);
        return Logits(m);
    }

    // Three AdamW steps on the next-token loss of a left-padded batch.
    private static void Train(LlamaForCausalLM model, IEnumerable<nn.Parameter> parameters)
    {
        using var opt = new optim.AdamW(parameters.ToList(), lr: 1e-2);
        for (int step = 0; step < 3; step++)
            using (NewDisposeScope())
            {
                var ids = tensor(new long[] { 0, 0, 5, 9, 3, 17, 8, 2, 30, 12, 6, 4 }, new long[] { 2, 6 });
                var mask = tensor(new long[] { 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 }, new long[] { 2, 6 });
                var logits = model.forward(ids, mask).logits;                                                // (2, 6, V)
                var loss = torch.nn.functional.cross_entropy(logits.narrow(1, 2, 3).reshape(-1, logits.size(2)), ids.narrow(1, 3, 3).reshape(-1));
                opt.zero_grad();
                loss.backward();
                opt.step();
            }
    }
}
