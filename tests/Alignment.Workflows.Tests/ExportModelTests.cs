using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Models.Peft;
using Alignment.Torch;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using static Alignment.Torch.torch;

namespace Alignment.Workflows.Tests;

// ImportModel + ImportAdapter -> ExportModel: the exported folder is a plain HF model whose logits equal the base
// model running with the adapter (computed here without any merge).
public class ExportModelTests
{
    [Fact]
    public async Task Exported_folder_equals_base_plus_adapter()
    {
        using var home = new TestHome();
        string baseDir = TinyModels.CreateFolder(Path.Combine(home.Folder, "base"), TinyModels.Config(vocab: 48), seed: 9);
        string adapterDir = Path.Combine(home.Folder, "adapter");
        var ids = tensor(new long[] { 3, 7, 11, 2, 40, 5 }, new long[] { 1, 6 });
        float[] expected;
        using (var model = LlamaForCausalLM.from_pretrained(baseDir))
        using (var gen = new Generator(4))
        {
            LoraModel.add_adapters(model, new LoraConfig { R = 4, LoraAlpha = 8, TargetModules = ["q_proj", "v_proj", "down_proj"] }, gen);
            using (no_grad())
                foreach (var (name, p) in model.named_parameters().Where(p => p.name.Contains("lora_B")))
                    p.normal_(0, 0.5, gen);   // B starts at zero; give the adapter an effect
            model.eval();
            using (no_grad()) expected = model.forward(ids).logits.data<float>();
            LoraModel.save_adapter(model, adapterDir, baseDir);
        }

        var d = WorkflowDefinition.Create("export", "Export");
        d.AddActivity("base", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(baseDir));
        d.AddActivity("adapter", "Alignment.ImportAdapter").SetInput("path", "String", Expression.Literal(adapterDir));
        var export = d.AddActivity("export", "Alignment.ExportModel");
        export.SetInput("model", "Artifact", Expression.Output("base", "model"));
        export.SetInput("adapter", "Artifact", Expression.Output("adapter", "adapter"));
        export.SetInput("path", "String", Expression.Literal(Path.Combine(home.Folder, "exported")));
        d.Connect("base", "adapter");
        d.Connect("adapter", "export");
        var result = await home.Run(home.Write(d));
        Assert.Equal(InstanceStatus.Finished, result.Status);

        using var merged = LlamaForCausalLM.from_pretrained(Path.Combine(home.Folder, "exported"));
        Assert.DoesNotContain(merged.state_dict().Keys, k => k.Contains("lora"));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var got = merged.forward(ids).logits.data<float>();
        Assert.Equal(expected.Length, got.Length);
        double maxDiff = expected.Zip(got, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(maxDiff < 1e-4, $"merged logits differ by {maxDiff}");
        using (var plain = LlamaForCausalLM.from_pretrained(baseDir))
        {
            var baseLogits = plain.forward(ids).logits.data<float>();
            Assert.True(expected.Zip(baseLogits, (a, b) => Math.Abs(a - b)).Max() > 1e-2, "the adapter must change the logits for this test to mean anything");
        }
        // The export refuses to overwrite without being asked.
        var again = await home.Run(home.Write(d, "again.json"), force: true);
        Assert.Equal(InstanceStatus.Faulted, again.Status);
    }

    [Fact]
    public async Task An_ia3_adapter_is_merged_and_a_prefix_tuning_or_bottleneck_adapter_is_refused_with_the_reason()
    {
        using var home = new TestHome();
        string baseDir = TinyModels.CreateFolder(Path.Combine(home.Folder, "base"), TinyModels.Config(vocab: 48), seed: 9);
        var ids = tensor(new long[] { 3, 7, 11, 2, 40, 5 }, new long[] { 1, 6 });
        float[] expected;
        using (var model = LlamaForCausalLM.from_pretrained(baseDir))
        using (var gen = new Generator(5))
        {
            Ia3Model.add_adapters(model, new Ia3Config());
            using (no_grad())
                foreach (var (_, layer) in Ia3Model.AdaptedLayers(model)) layer.ia3_l!.normal_(1, 0.5, gen);
            using (no_grad()) expected = model.forward(ids).logits.data<float>();
            Ia3Model.save_adapter(model, Path.Combine(home.Folder, "ia3"), baseDir);
        }
        using (var model = LlamaForCausalLM.from_pretrained(baseDir))
        using (var gen = new Generator(6))
        {
            PromptLearning.add_adapter(model, new PromptLearningConfig { PeftType = PromptLearningConfig.PrefixTuning, NumVirtualTokens = 2 }, gen);
            PromptLearning.save_adapter(model, Path.Combine(home.Folder, "prefix"), baseDir);
        }
        using (var model = LlamaForCausalLM.from_pretrained(baseDir))
        using (var gen = new Generator(7))
        {
            BottleneckAdapters.add_adapters(model, new BottleneckConfig { Config = "pfeiffer" }, gen);
            BottleneckAdapters.save_adapter(model, Path.Combine(home.Folder, "bottleneck"), baseDir);
        }

        async Task<(RunResult result, string? error)> Export(string adapter)
        {
            var d = WorkflowDefinition.Create("export-" + adapter, "Export");
            d.AddActivity("base", "Alignment.ImportModel").SetInput("path", "String", Expression.Literal(baseDir));
            d.AddActivity("adapter", "Alignment.ImportAdapter").SetInput("path", "String", Expression.Literal(Path.Combine(home.Folder, adapter)));
            var export = d.AddActivity("export", "Alignment.ExportModel");
            export.SetInput("model", "Artifact", Expression.Output("base", "model"));
            export.SetInput("adapter", "Artifact", Expression.Output("adapter", "adapter"));
            export.SetInput("path", "String", Expression.Literal(Path.Combine(home.Folder, "exported-" + adapter)));
            d.Connect("base", "adapter");
            d.Connect("adapter", "export");
            var result = await home.Run(home.Write(d, adapter + ".json"));
            return (result, home.Engine.Detail(result.InstanceId).Executions.FirstOrDefault(e => e.Error is not null)?.Error);
        }

        var (ok, _) = await Export("ia3");
        Assert.Equal(InstanceStatus.Finished, ok.Status);
        using (var merged = LlamaForCausalLM.from_pretrained(Path.Combine(home.Folder, "exported-ia3")))
        using (NewDisposeScope())
        using (no_grad())
        {
            var got = merged.forward(ids).logits.data<float>();
            Assert.True(expected.Zip(got, (a, b) => Math.Abs(a - b)).Max() < 1e-4);
        }
        foreach (var (adapter, reason) in new[] { ("prefix", "virtual tokens are extra inputs"), ("bottleneck", "non-linearity") })
        {
            var (refused, error) = await Export(adapter);
            Assert.Equal(InstanceStatus.Faulted, refused.Status);
            Assert.Contains("cannot be merged", error);
            Assert.Contains(reason, error);
            Assert.False(Directory.Exists(Path.Combine(home.Folder, "exported-" + adapter)));
        }
    }

    [Fact]
    public async Task Import_adapter_without_config_is_a_clear_error()
    {
        using var home = new TestHome();
        Directory.CreateDirectory(Path.Combine(home.Folder, "empty"));
        var d = WorkflowDefinition.Create("bad", "Bad");
        d.AddActivity("adapter", "Alignment.ImportAdapter").SetInput("path", "String", Expression.Literal(Path.Combine(home.Folder, "empty")));
        var result = await home.Run(home.Write(d));
        Assert.Equal(InstanceStatus.Faulted, result.Status);
        Assert.Contains("adapter_config.json", home.Engine.Detail(result.InstanceId).Executions.Single().Error);
    }
}
