using System.Text.Json.Nodes;
using Alignment.Models;
using Alignment.Models.Heads;
using Alignment.Models.Llama;
using Alignment.Models.Lora;
using Alignment.Models.Peft;
using Alignment.Models.Qat;
using Alignment.Torch;
using Alignment.Torch.IO;
using Alignment.Training.Config;
using static Alignment.Torch.torch;
using static Alignment.Torch.torch.nn;

namespace Alignment.Training.Runtime;

/// <summary>
/// The module a stage trains (a causal LM, a reward model, or a policy with a value head) with its fine-tuning mode,
/// and how its weights are written: a Hugging Face folder for full and freeze tuning, a PEFT adapter for LoRA (plus
/// heads.safetensors for a trainable score or value head), IA3, prefix tuning, prompt tuning and P-tuning (plus
/// trainable.safetensors). Checkpoints are written in the same usable form and read
/// back parameter by parameter (only trainable parameters can have changed).
/// </summary>
public sealed class TrainableModel : IDisposable
{
    public const string HeadsFile = "heads.safetensors";
    private const string AdapterPrefix = "base_model.model.";

    private TrainableModel(Module module, LlamaForCausalLM? languageModel, FinetuningType finetuning, string baseFolder, Action<string> saveHf)
    {
        Module = module;
        LanguageModel = languageModel;
        Finetuning = finetuning;
        BaseFolder = Path.GetFullPath(baseFolder);
        this.saveHf = saveHf;
    }

    private readonly Action<string> saveHf;

    public Module Module { get; }

    /// <summary>The causal LM inside (null for a reward model).</summary>
    public LlamaForCausalLM? LanguageModel { get; }

    public FinetuningType Finetuning { get; }
    public string BaseFolder { get; }

    public List<(string name, Parameter parameter)> Trainable() => Module.named_parameters().Where(p => p.parameter.requires_grad).ToList();

    public static ScalarType ParseDtype(string dtype) => dtype switch
    {
        "float32" => ScalarType.Float32,
        "bfloat16" => ScalarType.BFloat16,
        "float64" => ScalarType.Float64,
        _ => throw new ConfigException($"option 'dtype' is '{dtype}'; use float32, bfloat16 or float64"),
    };

    public static TrainableModel CausalLm(CommonOptions o, Generator init)
    {
        var lm = LlamaForCausalLM.from_pretrained(o.Model!, ParseDtype(o.Dtype), quantization: o.Quantization());
        if (lm.quantization is { } q && o.Finetuning != FinetuningType.Lora)
        {
            lm.Dispose();
            throw new ConfigException($"{o.Model}: the checkpoint is bitsandbytes {q.Bits}-bit{(q.Bits == 4 ? " " + q.QuantType : "")}, so its base weights are frozen; " +
                                      $"use finetuning lora (QLoRA), not {OptionInfo.ToSnake(o.Finetuning.ToString())}");
        }
        var m = new TrainableModel(lm, lm, o.Finetuning, o.Model!, dir => lm.save_pretrained(dir, overwrite: true));
        m.Apply(o, init, heads: []);
        return m;
    }

    public static TrainableModel Reward(CommonOptions o, Generator init)
    {
        if (o.QuantizationBit != 0)
            throw new ConfigException("option 'quantization_bit': quantized base weights (QLoRA) are for causal-LM stages (sft, dpo, kto ...); " +
                                      "reward and value-head models train from float weights");
        var rm = LlamaForSequenceClassification.from_pretrained(o.Model!, 1, init, ParseDtype(o.Dtype));
        var m = new TrainableModel(rm, null, o.Finetuning, o.Model!, dir => rm.save_pretrained(dir, overwrite: true));
        m.Apply(o, init, heads: ["score."]);
        return m;
    }

    /// <summary>A policy whose value head shares its trunk (TRL's AutoModelForCausalLMWithValueHead).</summary>
    public static TrainableModel WithValueHead(CommonOptions o, Generator init)
    {
        if (o.QuantizationBit != 0)
            throw new ConfigException("option 'quantization_bit': quantized base weights (QLoRA) are for causal-LM stages (sft, dpo, kto ...); " +
                                      "reward and value-head models train from float weights");
        var vm = CausalLMWithValueHead.from_pretrained(o.Model!, init, summary_dropout_prob: 0, dtype: ParseDtype(o.Dtype));
        var m = new TrainableModel(vm, vm.pretrained_model, o.Finetuning, o.Model!, dir => vm.save_pretrained(dir, overwrite: true));
        m.Apply(o, init, heads: ["v_head."]);
        return m;
    }

    private void Apply(CommonOptions o, Generator init, string[] heads)
    {
        try
        {
            switch (Finetuning)
            {
                case FinetuningType.Lora:
                    var targets = o.LoraTarget.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    var lora = new LoraConfig
                    {
                        R = o.LoraR, LoraAlpha = o.LoraAlpha, LoraDropout = o.LoraDropout, TargetModules = targets,
                        UseRslora = o.UseRslora, UseDora = o.UseDora,
                    }.WithInit(o.InitLoraWeights);
                    LoraModel.add_adapters(Module, lora, init);
                    foreach (var (name, p) in Module.named_parameters())
                        if (heads.Any(h => name.StartsWith(h, StringComparison.Ordinal))) p.requires_grad = true;
                    break;
                case FinetuningType.Freeze:
                    FreezeTuning.TrainLastLayers(Module, o.FreezeTrainableLayers, o.FreezeTrainEmbeddings, o.FreezeTrainHead);
                    if (!o.FreezeTrainHead)   // a freshly drawn score / value head must learn anyway
                        foreach (var (name, p) in Module.named_parameters())
                            if (heads.Any(h => name.StartsWith(h, StringComparison.Ordinal))) p.requires_grad = true;
                    break;
                case FinetuningType.Ia3:
                    Ia3Model.add_adapters(Module, new Ia3Config { TargetModules = Names(o.Ia3Target), FeedforwardModules = Names(o.Ia3Feedforward) });
                    TrainHeads(heads);
                    break;
                case FinetuningType.Bottleneck:
                    if (LanguageModel is null)
                        throw new ModelException("bottleneck adapters are implemented for causal LMs (policies); a reward model trains with full, freeze, lora or ia3");
                    BottleneckAdapters.add_adapters(LanguageModel, new BottleneckConfig
                    {
                        Config = o.AdapterConfig, ReductionFactor = o.AdapterReductionFactor,
                        NonLinearity = o.AdapterNonLinearity.Length > 0 ? o.AdapterNonLinearity : null,
                    }, init);
                    TrainHeads(heads);
                    break;
                case FinetuningType.PrefixTuning or FinetuningType.PromptTuning or FinetuningType.PTuning:
                    if (LanguageModel is null)
                        throw new ModelException("prompt-learning methods put virtual tokens before a causal LM's input; a reward model trains with full, freeze, lora or ia3");
                    PromptLearning.add_adapter(LanguageModel, PromptConfig(o), init, InitIds(o));
                    TrainHeads(heads);
                    break;
                default:
                    Module.requires_grad_(true);
                    break;
            }
            if (o.QatBits != 0) QatModel.enable(Module, o.QatBits, o.QatActivations);
            if (o.GradientCheckpointing)   // the decoder of a causal LM, a reward model, or a value-head policy's trunk
            {
                var decoder = (Module as PreTrainedModel ?? LanguageModel)?.model ?? throw new ModelException("gradient_checkpointing: the model has no decoder stack");
                decoder.gradient_checkpointing = true;
                decoder.gradient_checkpointing_layers = o.GradientCheckpointingLayers;
            }
        }
        catch (ModelException e)
        {
            Module.Dispose();
            throw new ConfigException($"finetuning {OptionInfo.ToSnake(Finetuning.ToString())}: {e.Message}");
        }
    }

    private void TrainHeads(string[] heads)
    {
        foreach (var (name, p) in Module.named_parameters())
            if (heads.Any(h => name.StartsWith(h, StringComparison.Ordinal))) p.requires_grad = true;
    }

    private static string[] Names(string list) => list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static PromptLearningConfig PromptConfig(CommonOptions o) => new()
    {
        PeftType = o.Finetuning switch
        {
            FinetuningType.PrefixTuning => PromptLearningConfig.PrefixTuning,
            FinetuningType.PTuning => PromptLearningConfig.PTuning,
            _ => PromptLearningConfig.PromptTuning,
        },
        NumVirtualTokens = o.NumVirtualTokens,
        PrefixProjection = o.PrefixProjection,
        EncoderHiddenSize = o.EncoderHiddenSize > 0 ? o.EncoderHiddenSize : null,
        EncoderReparameterizationType = o.PTuningEncoder.ToUpperInvariant(),
        EncoderNumLayers = o.PTuningEncoderLayers,
        EncoderDropout = o.PTuningEncoderDropout,
        PromptTuningInit = o.PromptTuningInitText.Length > 0 ? "TEXT" : "RANDOM",
        PromptTuningInitText = o.PromptTuningInitText.Length > 0 ? o.PromptTuningInitText : null,
        TokenizerNameOrPath = o.PromptTuningInitText.Length > 0 ? Path.GetFullPath(o.Model!) : null,
    };

    // PEFT's TEXT init tokenizes with tokenizer(text)["input_ids"], so special tokens (a BOS) are included.
    private static long[]? InitIds(CommonOptions o) =>
        o.Finetuning == FinetuningType.PromptTuning && o.PromptTuningInitText.Length > 0
            ? StageData.Tokenizer(o.Model!, o.Template).tokenizer.Encode(o.PromptTuningInitText, addSpecialTokens: true).Select(i => (long)i).ToArray()
            : null;

    /// <summary>Writes the weights in their usable form into an existing (empty) folder. A PiSSA/OLoRA adapter is
    /// written as trained (for the residual base, which resuming rebuilds from the seed).</summary>
    public void SaveCheckpoint(string dir) => Save(dir, convertToLora: false);

    private void Save(string dir, bool convertToLora)
    {
        if (Finetuning.IsAdapter() && Finetuning != FinetuningType.Lora)
        {
            SaveOtherAdapter(dir);
            return;
        }
        if (Finetuning != FinetuningType.Lora)
        {
            saveHf(dir);
            return;
        }
        var (adapter, owned, config) = LoraModel.AdapterState(Module, convertToLora);
        var heads = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, p) in Trainable())
            if (!IsLora(name)) heads[name] = p;
        try
        {
            Safetensors.Save(Path.Combine(dir, LoraModel.WeightsFile), adapter, new Dictionary<string, string> { ["format"] = "pt" });
        }
        finally
        {
            foreach (var t in owned) t.Dispose();
        }
        if (heads.Count > 0) Safetensors.Save(Path.Combine(dir, HeadsFile), heads);
        var json = JsonNode.Parse(config.ToPeftJson(config.TargetModules, BaseFolder))!;
        if (LanguageModel is null)
        {
            json["task_type"] = "SEQ_CLS";
            json["modules_to_save"] = new JsonArray("score");
        }
        File.WriteAllText(Path.Combine(dir, LoraModel.ConfigFile), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
    }

    // IA3, prompt learning and bottleneck adapters: the adapter folder (what a user loads), plus every trainable parameter under its module name
    // in trainable.safetensors (what resuming needs: PEFT keeps only the encoders' output, not their weights).
    private void SaveOtherAdapter(string dir)
    {
        if (Finetuning == FinetuningType.Ia3)
        {
            var config = Ia3Model.CurrentConfig(Module);
            Safetensors.Save(Path.Combine(dir, LoraModel.WeightsFile), Ia3Model.AdapterTensors(Module), new Dictionary<string, string> { ["format"] = "pt" });
            var json = JsonNode.Parse(config.ToPeftJson(BaseFolder))!;
            if (LanguageModel is null) json["task_type"] = "SEQ_CLS";
            File.WriteAllText(Path.Combine(dir, LoraModel.ConfigFile), json.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        else if (Finetuning == FinetuningType.Bottleneck)
        {
            BottleneckAdapters.save_adapter(LanguageModel!, dir, BaseFolder);
        }
        else
        {
            PromptLearning.save_adapter(LanguageModel!, dir, BaseFolder);
        }
        Safetensors.Save(Path.Combine(dir, TrainableFile), Trainable().ToDictionary(p => p.name, p => (Tensor)p.parameter, StringComparer.Ordinal));
    }

    /// <summary>Every trainable parameter by module name, beside an IA3 or prompt-learning adapter (for resuming).</summary>
    public const string TrainableFile = "trainable.safetensors";

    /// <summary>Restores every trainable parameter from a folder written by <see cref="SaveCheckpoint"/>.</summary>
    public void LoadCheckpoint(string dir)
    {
        var trainable = Trainable();
        using var noGrad = no_grad();
        if (Finetuning.IsAdapter() && Finetuning != FinetuningType.Lora)
        {
            using var state = SafetensorsFile.Open(Path.Combine(dir, TrainableFile));
            foreach (var (name, p) in trainable) Copy(p, name, state.Contains(name) ? state.Load(name) : null, dir);
            return;
        }
        if (Finetuning != FinetuningType.Lora)
        {
            using var ckpt = ShardedCheckpoint.Open(dir);
            foreach (var (name, p) in trainable) Copy(p, name, ckpt.Contains(name) ? ckpt.Load(name) : null, dir);
            return;
        }
        using var adapter = SafetensorsFile.Open(Path.Combine(dir, LoraModel.WeightsFile));
        using var heads = File.Exists(Path.Combine(dir, HeadsFile)) ? SafetensorsFile.Open(Path.Combine(dir, HeadsFile)) : null;
        foreach (var (name, p) in trainable)
        {
            string key = IsLora(name) ? AdapterPrefix + name : name;
            var file = IsLora(name) ? adapter : heads;
            Copy(p, name, file != null && file.Contains(key) ? file.Load(key) : null, dir);
        }
    }

    private static void Copy(Parameter p, string name, Tensor? saved, string dir)
    {
        if (saved is null) throw new TrainingException($"{dir}: the checkpoint has no tensor for trainable parameter '{name}'; it belongs to another model or fine-tuning mode");
        using (saved)
        {
            if (!saved.shape.SequenceEqual(p.shape))
                throw new TrainingException($"{dir}: '{name}' has shape [{string.Join(", ", saved.shape)}] in the checkpoint but [{string.Join(", ", p.shape)}] here");
            using var scope = NewDisposeScope();
            p.copy_(saved.to(p.dtype));
        }
    }

    /// <summary>The final output into an existing empty folder: a Hugging Face folder (full, freeze; a LoRA reward model
    /// is merged first, since PEFT has no format for its score head), or a PEFT adapter (LoRA policies; a value head
    /// goes in heads.safetensors; PiSSA/OLoRA converted to the plain LoRA that applies to the original base). With
    /// quantization-aware training the folder also holds the int export (quantized.safetensors, quantization.json).</summary>
    public void SaveFinal(string dir)
    {
        if (Finetuning is FinetuningType.Lora or FinetuningType.Ia3 && LanguageModel is null)
        {
            LoraModel.merge_and_unload(Module);
            Ia3Model.merge_and_unload(Module);
            saveHf(dir);
            return;
        }
        Save(dir, convertToLora: true);
        if (QatModel.QuantizedLayers(Module).Any()) QatModel.export(Module, dir);
    }

    private static bool IsLora(string name) => name.Contains(".lora_A.", StringComparison.Ordinal) || name.Contains(".lora_B.", StringComparison.Ordinal) ||
                                               name.EndsWith(".lora_magnitude_vector", StringComparison.Ordinal);

    public void Dispose() => Module.Dispose();
}
