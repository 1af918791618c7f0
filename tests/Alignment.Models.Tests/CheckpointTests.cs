using System.Text.Json.Nodes;
using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Torch.IO;

namespace Alignment.Models.Tests;

// Loading and saving Hugging Face folders: round trips, the HF layout of what is written, dtype conversion, sharding,
// tokenizer files, and the errors for folders that do not match config.json.
public class CheckpointTests
{
    private static double[] Logits(LlamaForCausalLM m, long[] seq)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return m.forward(tensor(seq, new long[] { 1, seq.Length })).logits.to(float64).data<double>();
    }

    private static string CopyFixture(TempDir t, string name)
    {
        string folder = t.Sub(name);
        Directory.CreateDirectory(folder);
        foreach (var f in Directory.GetFiles(Fixtures.Folder(name))) File.Copy(f, Path.Combine(folder, Path.GetFileName(f)));
        return folder;
    }

    private static void EditConfig(string folder, Action<JsonObject> edit)
    {
        string path = Path.Combine(folder, "config.json");
        var obj = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(obj);
        File.WriteAllText(path, obj.ToJsonString());
    }

    [Theory]
    [InlineData("qwen2_tied")]       // tied: no lm_head.weight on disk
    [InlineData("llama_gqa_bias")]   // sharded, bf16 on disk
    public void Saving_a_loaded_fixture_writes_the_same_tensor_names_shapes_and_config_keys(string name)
    {
        using var t = new TempDir();
        using var model = LlamaForCausalLM.from_pretrained(Fixtures.Folder(name));
        string saved = t.Sub("saved");
        model.save_pretrained(saved);

        using var original = ShardedCheckpoint.Open(Fixtures.Folder(name));
        using var copy = ShardedCheckpoint.Open(saved);
        Assert.Equal(original.Names, copy.Names);
        foreach (var n in original.Names) Assert.Equal(original.Info(n).Shape, copy.Info(n).Shape);
        Assert.All(copy.Names, n => Assert.Equal(ScalarType.Float32, copy.Info(n).DType));   // saved in the compute dtype
        using (var f = SafetensorsFile.Open(Path.Combine(saved, "model.safetensors"))) Assert.Equal("pt", f.Metadata["format"]);

        var before = JsonNode.Parse(File.ReadAllText(Path.Combine(Fixtures.Folder(name), "config.json")))!.AsObject();
        var after = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "config.json")))!.AsObject();
        Assert.Equal(before.Select(kv => kv.Key).Order(), after.Select(kv => kv.Key).Order());
        Assert.Equal("float32", after["torch_dtype"]!.GetValue<string>());
        foreach (var (key, value) in before.Where(kv => kv.Key != "torch_dtype"))
            Assert.True(JsonNode.DeepEquals(value, after[key]), $"config key {key} changed");
        var gen = JsonNode.Parse(File.ReadAllText(Path.Combine(saved, "generation_config.json")))!;
        Assert.Equal(1, gen["bos_token_id"]!.GetValue<int>());
        Assert.Equal(2, gen["eos_token_id"]!.GetValue<int>());

        using var reloaded = LlamaForCausalLM.from_pretrained(saved);
        var seq = Fixtures.Sequences[1];
        Assert.Equal(Logits(model, seq), Logits(reloaded, seq));
    }

    [Fact]
    public void A_tiny_model_folder_holds_the_model_its_seed_draws()
    {
        using var t = new TempDir();
        var config = TinyModels.Config("qwen2", tied: true);
        string folder = TinyModels.CreateFolder(t.Sub("tiny"), config, seed: 5);
        Assert.Equal(["config.json", "generation_config.json", "model.safetensors"], Directory.GetFiles(folder).Select(Path.GetFileName).Order());

        using var loaded = LlamaForCausalLM.from_pretrained(folder);
        using var g = new Generator(5);
        using var drawn = LlamaForCausalLM.from_config(config, g);
        foreach (var (k, v) in drawn.state_dict()) Assert.True(Tiny.MaxAbsDiff(v, loaded.state_dict()[k]) == 0, k);
        Assert.True(loaded.config.Tied);
    }

    [Fact]
    public void Sharded_bfloat16_save_round_trips_exactly_and_writes_an_index()
    {
        using var t = new TempDir();
        using var g = new Generator(3);
        using var model = LlamaForCausalLM.from_config(TinyModels.Config("qwen3"), g, ScalarType.BFloat16);
        string folder = t.Sub("sharded");
        model.save_pretrained(folder, maxShardBytes: 8 * 1024);

        var index = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "model.safetensors.index.json")))!;
        var shards = index["weight_map"]!.AsObject().Select(kv => kv.Value!.GetValue<string>()).Distinct().ToList();
        Assert.True(shards.Count > 1);
        Assert.All(shards, s => Assert.Matches(@"^model-\d{5}-of-\d{5}\.safetensors$", s));
        Assert.False(File.Exists(Path.Combine(folder, "model.safetensors")));
        Assert.Equal("bfloat16", JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "config.json")))!["torch_dtype"]!.GetValue<string>());

        using var back = LlamaForCausalLM.from_pretrained(folder, ScalarType.BFloat16);
        foreach (var (k, v) in model.state_dict())
            Assert.True(Tiny.MaxAbsDiff(v, back.state_dict()[k]) == 0, $"{k} changed in the round trip");
    }

    [Fact]
    public void Half_precision_weights_are_converted_to_the_compute_dtype_while_loading()
    {
        using var f32 = LlamaForCausalLM.from_pretrained(Fixtures.Folder("mistral"));          // f16 on disk
        using var bf16 = LlamaForCausalLM.from_pretrained(Fixtures.Folder("mistral"), ScalarType.BFloat16);
        Assert.All(f32.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.All(bf16.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        using var file = SafetensorsFile.Open(Path.Combine(Fixtures.Folder("mistral"), "model.safetensors"));
        using var disk = file.Load("model.layers.0.mlp.up_proj.weight");
        Assert.Equal(ScalarType.Float16, disk.dtype);
        Assert.Equal(0, Tiny.MaxAbsDiff(disk, f32.model.layers[0].mlp.up_proj.weight));   // f16 → f32 is exact
    }

    [Fact]
    public void Tokenizer_files_and_generation_config_are_copied_from_the_source_folder()
    {
        using var t = new TempDir();
        string source = CopyFixture(t, "qwen3");
        File.WriteAllText(Path.Combine(source, "tokenizer.json"), "{\"model\":{}}");
        File.WriteAllText(Path.Combine(source, "tokenizer_config.json"), "{\"eos_token\":\"x\"}");
        File.WriteAllText(Path.Combine(source, "generation_config.json"), "{\"temperature\": 0.7}");
        File.WriteAllText(Path.Combine(source, "README.md"), "not a model file");

        using var model = LlamaForCausalLM.from_pretrained(source);
        string target = t.Sub("out");
        model.save_pretrained(target);
        Assert.Equal("{\"model\":{}}", File.ReadAllText(Path.Combine(target, "tokenizer.json")));
        Assert.Equal("{\"eos_token\":\"x\"}", File.ReadAllText(Path.Combine(target, "tokenizer_config.json")));
        Assert.Equal("{\"temperature\": 0.7}", File.ReadAllText(Path.Combine(target, "generation_config.json")));
        Assert.False(File.Exists(Path.Combine(target, "README.md")));
    }

    [Fact]
    public void Saving_refuses_a_non_empty_folder_unless_told_to_replace_it_and_leaves_no_temporary_folders()
    {
        using var t = new TempDir();
        using var model = Tiny.Model();
        string target = t.Sub("m");
        Directory.CreateDirectory(target);
        File.WriteAllText(Path.Combine(target, "old.txt"), "x");

        var e = Assert.Throws<ModelException>(() => model.save_pretrained(target));
        Assert.Contains("not empty", e.Message);
        Assert.True(File.Exists(Path.Combine(target, "old.txt")));

        model.save_pretrained(target, overwrite: true);
        Assert.False(File.Exists(Path.Combine(target, "old.txt")));
        Assert.True(File.Exists(Path.Combine(target, "model.safetensors")));
        Assert.Equal(["m"], Directory.GetFileSystemEntries(t.Path).Select(Path.GetFileName));
    }

    [Fact]
    public void Missing_and_unexpected_tensors_are_all_listed_with_their_files()
    {
        using var t = new TempDir();
        string folder = CopyFixture(t, "llama3_rope");
        EditConfig(folder, c => c["num_hidden_layers"] = 3);   // the file has 2 layers
        var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(folder));
        Assert.Contains("Missing tensors (9)", e.Message);
        foreach (var n in new[] { "self_attn.q_proj", "self_attn.o_proj", "mlp.down_proj", "input_layernorm", "post_attention_layernorm" })
            Assert.Contains($"model.layers.2.{n}.weight", e.Message);
        Assert.Contains("Hint:", e.Message);

        EditConfig(folder, c => c["num_hidden_layers"] = 1);
        e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(folder));
        Assert.Contains("Unexpected tensors (9)", e.Message);
        Assert.Contains("model.layers.1.self_attn.q_proj.weight (model.safetensors)", e.Message);
        Assert.Contains("more layers than num_hidden_layers", e.Message);
    }

    [Fact]
    public void A_shape_that_disagrees_with_config_json_names_the_file_the_tensor_and_both_shapes()
    {
        using var t = new TempDir();
        string folder = CopyFixture(t, "llama_gqa_bias");
        EditConfig(folder, c => c["num_key_value_heads"] = 4);
        var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(folder));
        Assert.Matches(@"model\.layers\.0\.self_attn\.k_proj\.weight in model-0000\d-of-00002\.safetensors has shape \[12, 24\], config\.json implies \[24, 24\]", e.Message);
        Assert.Contains("num_key_value_heads", e.Message);
    }

    [Fact]
    public void An_untied_config_over_a_tied_checkpoint_hints_at_tie_word_embeddings()
    {
        using var t = new TempDir();
        string folder = CopyFixture(t, "qwen2_tied");
        EditConfig(folder, c => c["tie_word_embeddings"] = false);
        var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(folder));
        Assert.Contains("lm_head.weight", e.Message);
        Assert.Contains("tie_word_embeddings", e.Message);
    }

    [Theory]
    [InlineData("model_type", "\"gpt2\"", "model_type 'gpt2' is not supported")]
    [InlineData("hidden_act", "\"gelu\"", "hidden_act 'gelu' is not supported")]
    [InlineData("rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_type 'yarn' is not implemented")]
    [InlineData("rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8.0}", "lacks 'low_freq_factor'")]
    [InlineData("num_key_value_heads", "3", "must be a multiple of num_key_value_heads (3)")]
    public void Unsupported_configurations_are_refused_naming_the_file_and_key(string key, string value, string message)
    {
        using var t = new TempDir();
        string folder = CopyFixture(t, "llama3_rope");
        EditConfig(folder, c => c[key] = JsonNode.Parse(value));
        var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(folder));
        Assert.Contains(message, e.Message);
        Assert.Contains(Path.Combine(folder, "config.json"), e.Message);
    }

    [Fact]
    public void A_folder_without_weights_or_config_says_what_a_model_folder_holds()
    {
        using var t = new TempDir();
        var e = Assert.Throws<ModelException>(() => LlamaForCausalLM.from_pretrained(t.Path));
        Assert.Contains("config.json", e.Message);
        string folder = CopyFixture(t, "qwen3");
        File.Delete(Path.Combine(folder, "model.safetensors"));
        var e2 = Assert.Throws<TorchException>(() => LlamaForCausalLM.from_pretrained(folder));
        Assert.Contains("model.safetensors", e2.Message);
    }

    [Fact]
    public void Old_rotary_inv_freq_buffers_and_a_saved_value_head_are_ignored_when_loading_a_causal_lm()
    {
        using var t = new TempDir();
        string folder = CopyFixture(t, "qwen3");
        var (tensors, meta) = Safetensors.Load(Path.Combine(folder, "model.safetensors"));
        tensors["model.layers.0.self_attn.rotary_emb.inv_freq"] = ones(4);
        tensors["v_head.summary.weight"] = ones(1, 24);
        Safetensors.Save(Path.Combine(folder, "model.safetensors"), tensors, meta);
        foreach (var v in tensors.Values) v.Dispose();
        using var model = LlamaForCausalLM.from_pretrained(folder);
        Assert.Equal(Fixtures.LogProbs("qwen3")[2][1]!.Value, ParityTests.Unpadded(model, Fixtures.Sequences[2])[0], 4);
    }
}
