using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Models.Core;
using Alignment.Models.Lora;
using Alignment.Torch;
using Alignment.Torch.IO;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Models.Qat;

/// <summary>
/// Quantization-aware training on a model's decoder-layer linear layers (<see cref="FakeQuant"/>) and the export of
/// the quantized weights.
/// <para>Export layout (written next to the float model's files): <c>quantized.safetensors</c> holds, for every
/// quantized layer, <c>&lt;module path&gt;.weight</c> as int8 (out, in) — the integers q, in [−127, 127] for 8 bits and
/// [−7, 7] for 4 bits, one value per byte, row-major like the float weight — and <c>&lt;module path&gt;.weight_scale</c>
/// as float32 (out); the layer's weight is <c>q · weight_scale[row]</c> computed in float32. <c>quantization.json</c>
/// records {"quant_method": "symmetric_per_channel", "bits", "activations" ("int8_per_tensor_dynamic" or null),
/// "modules"}. Every other tensor (embeddings, norms, lm_head, biases) stays in the float model.</para>
/// </summary>
public static class QatModel
{
    public const string WeightsFile = "quantized.safetensors";
    public const string ConfigFile = "quantization.json";
    public const string Method = "symmetric_per_channel";

    /// <summary>Turns fake quantization on for every linear layer of the decoder layers; returns their paths.</summary>
    public static IReadOnlyList<string> enable(Module model, int bits, bool activations)
    {
        FakeQuant.QMax(bits);
        var layers = LoraModel.LinearLayers(model).ToList();
        if (layers.Count == 0) throw new ModelException("quantization-aware training found no linear layer inside the decoder layers");
        var adapted = layers.FirstOrDefault(l => l.layer.has_lora);
        if (adapted.layer is not null) throw new ModelException($"{adapted.name} carries a LoRA adapter; quantization-aware training needs full or freeze tuning");
        foreach (var (_, layer) in layers)
        {
            layer.qat_bits = bits;
            layer.qat_activations = activations;
        }
        return layers.Select(l => l.name).ToList();
    }

    /// <summary>Switches fake quantization off until disposed (the float model, for comparison).</summary>
    public static IDisposable disable(Module model)
    {
        var layers = QuantizedLayers(model).Where(l => l.layer.qat_enabled).Select(l => l.layer).ToList();
        foreach (var l in layers) l.qat_enabled = false;
        return new Restore(layers);
    }

    private sealed class Restore(List<LoraLinear> layers) : IDisposable
    {
        public void Dispose()
        {
            foreach (var l in layers) l.qat_enabled = true;
            layers.Clear();
        }
    }

    /// <summary>The layers with fake quantization set.</summary>
    public static IEnumerable<(string name, LoraLinear layer)> QuantizedLayers(Module model) =>
        model.named_modules().Where(m => m.module is LoraLinear { qat_bits: > 0 }).Select(m => (m.name, (LoraLinear)m.module));

    /// <summary>Writes quantized.safetensors and quantization.json (layout above) into an existing folder; each file
    /// goes to a temporary name first and is renamed into place.</summary>
    public static void export(Module model, string folder)
    {
        var layers = QuantizedLayers(model).ToList();
        if (layers.Count == 0) throw new ModelException("the model has no quantization-aware layer to export");
        int bits = layers[0].layer.qat_bits;
        bool activations = layers[0].layer.qat_activations;
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var (name, layer) in layers)
            {
                var (q, scale) = FakeQuant.QuantizeWeight(layer.weight, layer.qat_bits);
                tensors[name + ".weight"] = q;
                tensors[name + ".weight_scale"] = scale;
            }
            string path = Path.Combine(folder, WeightsFile), tmp = path + $".{Guid.NewGuid():N}.tmp";
            Safetensors.Save(tmp, tensors, new Dictionary<string, string> { ["format"] = "pt", ["quant_method"] = Method, ["bits"] = bits.ToString() });
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        var json = new JsonObject
        {
            ["quant_method"] = Method,
            ["bits"] = bits,
            ["activations"] = activations ? "int8_per_tensor_dynamic" : null,
            ["modules"] = new JsonArray(layers.Select(l => (JsonNode)l.name).ToArray()),
        };
        string cfg = Path.Combine(folder, ConfigFile), cfgTmp = cfg + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllText(cfgTmp, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        File.Move(cfgTmp, cfg, overwrite: true);
    }

    /// <summary>Loads an export into <paramref name="model"/> (the float model it came from): every listed layer's
    /// weight becomes <c>q · scale</c> (cast to the weight's dtype), and with quantized activations the layers
    /// fake-quantize their inputs, so the model computes what the fake-quantized model computed.</summary>
    public static void load_export(Module model, string folder)
    {
        string cfg = Path.Combine(folder, ConfigFile), weights = Path.Combine(folder, WeightsFile);
        if (!File.Exists(cfg) || !File.Exists(weights)) throw new ModelException($"{folder}: a quantized export holds {ConfigFile} and {WeightsFile}");
        JsonNode? json;
        try { json = JsonNode.Parse(File.ReadAllText(cfg)); }
        catch (JsonException e) { throw new ModelException($"{cfg}: {e.Message}"); }
        if (json?["quant_method"]?.GetValue<string>() != Method) throw new ModelException($"{cfg}: quant_method is not {Method}");
        bool activations = json["activations"] is not null;
        var modules = model.named_modules().ToDictionary(m => m.name, m => m.module);
        using var file = SafetensorsFile.Open(weights);
        using var noGrad = no_grad();
        foreach (var node in json["modules"]?.AsArray() ?? throw new ModelException($"{cfg}: no modules list"))
        {
            string name = node!.GetValue<string>();
            if (!modules.TryGetValue(name, out var m) || m is not LoraLinear layer) throw new ModelException($"{cfg}: module {name} is not a linear layer of this model");
            if (!file.Contains(name + ".weight") || !file.Contains(name + ".weight_scale")) throw new ModelException($"{weights}: {name}.weight or .weight_scale is missing");
            using var scope = NewDisposeScope();
            var q = file.Load(name + ".weight");
            var scale = file.Load(name + ".weight_scale");
            if (q.dtype != ScalarType.Int8 || !q.shape.SequenceEqual(layer.weight.shape) || scale.dtype != ScalarType.Float32 || scale.shape[0] != layer.out_features)
                throw new ModelException($"{weights}: {name} must be int8 [{string.Join(", ", layer.weight.shape)}] with float32 [{layer.out_features}] scales");
            layer.weight.copy_(FakeQuant.Dequantize(q, scale).to(layer.weight.dtype));
            layer.qat_bits = 0;
            layer.qat_activations = activations;
        }
    }
}
