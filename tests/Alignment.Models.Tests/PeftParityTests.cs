using System.Text.Json;
using Alignment.Models.Llama;
using Alignment.Models.Peft;
using Alignment.Torch.IO;
using Xunit.Abstractions;

namespace Alignment.Models.Tests;

using F = torch.nn.functional;

// Prefix tuning, prompt tuning, P-tuning (MLP and LSTM), IA3 and bottleneck adapters (Houlsby, Pfeiffer) against the independent PyTorch implementation of PEFT's
// forward (reference/peft_reference.py, float64; its encoders are torch.nn.Embedding/Sequential/LSTM): the adapter
// starts from the reference's parameters (Fixtures/peft/<case>/init.safetensors, PEFT's module names), then the logits
// of one sequence and every adapter parameter after one SGD step (lr 0.5) on the mean next-token loss must agree.
// Tolerance: 2e-4 absolute (float32 here; the largest differences seen are a few 1e-6).
public class PeftParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 2e-4;

    public static TheoryData<string> Cases => new("prefix_plain", "prefix_projection", "prompt_tuning", "p_tuning_mlp", "p_tuning_lstm", "ia3",
                                                       "bottleneck_houlsby", "bottleneck_pfeiffer");

    private static string CaseFolder(string name) => Path.Combine(AppContext.BaseDirectory, "Fixtures", "peft", name);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Forward_and_one_training_step_match_the_pytorch_reference(string name)
    {
        var spec = JsonDocument.Parse(File.ReadAllText(Path.Combine(CaseFolder(name), "case.json"))).RootElement;
        using var model = LlamaForCausalLM.from_pretrained(Fixtures.Folder(spec.GetProperty("model").GetString()!));
        var baseState = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());
        var adapter = Attach(model, spec.GetProperty("peft_type").GetString()!, spec.GetProperty("options"));

        using var init = SafetensorsFile.Open(Path.Combine(CaseFolder(name), "init.safetensors"));
        Assert.Equal(init.Names.Order(StringComparer.Ordinal), adapter.Keys.Order(StringComparer.Ordinal));   // PEFT's / PyTorch's names and nothing else
        using (no_grad())
            foreach (var (key, p) in adapter)
            {
                using var t = init.Load(key, p.dtype);
                Assert.Equal(t.shape, p.shape);
                p.copy_(t);
            }

        long[] ids = spec.GetProperty("ids").EnumerateArray().Select(x => x.GetInt64()).ToArray();
        using var expected = SafetensorsFile.Open(Path.Combine(CaseFolder(name), "expected.safetensors"));
        using var scope = NewDisposeScope();
        var logits = model.forward(tensor(ids, new long[] { 1, ids.Length })).logits.squeeze(0);   // (T, V)
        double logitDiff = Tiny.MaxAbsDiff(expected.Load("logits"), logits);

        var loss = F.cross_entropy(logits.narrow(0, 0, ids.Length - 1), tensor(ids[1..], new long[] { ids.Length - 1 }));
        Assert.Equal(spec.GetProperty("loss").GetDouble(), loss.item<float>(), 4);
        var trainable = model.parameters().Where(p => p.requires_grad).ToList();
        Assert.Equal(adapter.Count, trainable.Count);
        using var sgd = new optim.SGD(trainable, lr: spec.GetProperty("lr").GetDouble());
        loss.backward();
        sgd.step();

        double stepDiff = adapter.Max(kv => Tiny.MaxAbsDiff(expected.Load("after." + kv.Key), kv.Value));
        output.WriteLine($"{name}: logits {logitDiff:E2}, parameters after one step {stepDiff:E2}");
        Assert.True(logitDiff < Tolerance, $"logits differ by {logitDiff}");
        Assert.True(stepDiff < Tolerance, $"parameters after one step differ by {stepDiff}");
        foreach (var (key, before) in baseState)   // the base model is frozen and untouched
            Assert.True(Tiny.MaxAbsDiff(before, model.state_dict()[key]) == 0, $"{key} changed");
    }

    /// <summary>Attaches the case's adapter; returns its parameters by the reference's names.</summary>
    internal static Dictionary<string, nn.Parameter> Attach(LlamaForCausalLM model, string peftType, JsonElement o)
    {
        using var g = new Generator(0);
        if (peftType == "BOTTLENECK")
        {
            BottleneckAdapters.add_adapters(model, new BottleneckConfig
            {
                Config = o.GetProperty("config").GetString()!, ReductionFactor = o.GetProperty("reduction_factor").GetInt32(),
                NonLinearity = o.GetProperty("non_linearity").GetString(),
            }, g);
            return BottleneckAdapters.Parameters(model).ToDictionary(p => p.name, p => p.parameter);
        }
        if (peftType == "IA3")
        {
            Ia3Model.add_adapters(model, new Ia3Config());
            return Ia3Model.AdaptedLayers(model).ToDictionary(a => $"{a.name}.ia3_l", a => a.layer.ia3_l!);
        }
        var config = new PromptLearningConfig
        {
            PeftType = peftType,
            NumVirtualTokens = o.GetProperty("num_virtual_tokens").GetInt32(),
            EncoderHiddenSize = o.TryGetProperty("encoder_hidden_size", out var h) ? h.GetInt32() : null,
            PrefixProjection = peftType == PromptLearningConfig.PrefixTuning && o.TryGetProperty("encoder_hidden_size", out _),
            EncoderReparameterizationType = o.TryGetProperty("type", out var t) ? t.GetString()! : "MLP",
            EncoderNumLayers = o.TryGetProperty("layers", out var l) ? l.GetInt32() : 2,
        };
        var encoder = PromptLearning.add_adapter(model, config, g);
        return encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
    }
}
