using Alignment.Models.Checkpoints;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
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
