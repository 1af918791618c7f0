using Alignment.Models.Checkpoints;
using Alignment.Models.Heads;
using Alignment.Models.Llama;
using Alignment.Models.Lora;

namespace Alignment.Models.Tests;

// Saving refuses unmerged LoRA adapters the same way for every model kind (one check in PreTrainedModel), and writes
// nothing. The tiny config has 2 layers, so q_proj and v_proj adapters make 4.
public class PreTrainedModelTests
{
    [Theory]
    [InlineData("model.layers.0.self_attn.q_proj.lora_A.weight")]
    [InlineData("model.layers.0.self_attn.q_proj.lora_B.weight")]
    public void Either_half_of_an_adapter_is_refused(string key)
    {
        var e = Assert.Throws<ModelException>(() => PreTrainedModel.RefuseUnmergedLora(["model.norm.weight", key]));
        Assert.Contains("1 unmerged LoRA adapter(s)", e.Message);
        Assert.Contains(key, e.Message);
        PreTrainedModel.RefuseUnmergedLora(["model.norm.weight", "lm_head.weight"]);   // no adapter: accepted
    }

    [Fact]
    public void Causal_lm_reward_model_and_value_head_model_refuse_unmerged_adapters()
    {
        using var t = new TempDir();
        using var g = new Generator(3);
        var config = TinyModels.Config("llama", vocab: 64, tied: false, kvHeads: 2);
        var lora = new LoraConfig { TargetModules = ["q_proj", "v_proj"] };

        using var lm = LlamaForCausalLM.from_config(config, g);
        LoraModel.add_adapters(lm, lora, g);
        Assert.Contains("4 unmerged LoRA adapter(s)", Assert.Throws<ModelException>(() => lm.save_pretrained(t.Sub("lm"))).Message);

        using var rm = LlamaForSequenceClassification.from_config(config, 1, g);
        LoraModel.add_adapters(rm, lora, g);
        Assert.Contains("4 unmerged LoRA adapter(s)", Assert.Throws<ModelException>(() => rm.save_pretrained(t.Sub("rm"))).Message);

        using var policy = new CausalLMWithValueHead(LlamaForCausalLM.from_config(config, g), new ValueHead(config.Hidden, 0.1, g));
        LoraModel.add_adapters(policy.pretrained_model, lora, g);
        Assert.Contains("4 unmerged LoRA adapter(s)", Assert.Throws<ModelException>(() => policy.save_pretrained(t.Sub("vh"))).Message);

        Assert.Empty(Directory.EnumerateFileSystemEntries(t.Path));
    }
}
