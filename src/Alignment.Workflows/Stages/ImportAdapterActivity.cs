using Alignment.Models.Lora;
using Alignment.Models.Peft;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.ImportAdapter</c>: a PEFT adapter folder (LoRA, IA3, prefix/prompt/P-tuning) or a bottleneck adapter folder (adapter_config.json + adapter_model.safetensors, e.g. one
/// trained elsewhere with PEFT) becomes an adapter artifact. The config is parsed and checked before anything is copied.
/// </summary>
public sealed class ImportAdapterActivity : IStageActivity
{
    public const string TypeName = "Alignment.ImportAdapter";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Models", "Import adapter",
        "Copies an adapter folder (adapter_config.json, adapter_model.safetensors: PEFT LoRA, IA3, prefix/prompt/P-tuning, or bottleneck adapters) into the artifact store.",
        [
            new InputDescriptor("path", InputType.String, "The adapter folder.", Required: true),
        ],
        [
            new OutputDescriptor("adapter", OutputType.Artifact, "The adapter folder.", ArtifactKind.Adapter),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        string source = Path.GetFullPath(context.Inputs.String("path"));
        string config = Path.Combine(source, "adapter_config.json"), weights = Path.Combine(source, "adapter_model.safetensors");
        if (!File.Exists(config)) throw new WorkflowException($"input 'path': {config} is missing; a PEFT adapter folder has adapter_config.json and adapter_model.safetensors");
        if (!File.Exists(weights)) throw new WorkflowException($"input 'path': {weights} is missing (adapter_model.bin is not supported: save with safe_serialization=True)");
        switch (PeftAdapter.PeftTypeOf(source))
        {
            case "LORA":
                var parsed = LoraConfig.Load(config);
                parsed.Validate(config);
                context.Log($"LoRA adapter r={parsed.R}, alpha={parsed.LoraAlpha}, targets {string.Join(",", parsed.TargetModules)}");
                break;
            case "IA3":
                var ia3 = Ia3Config.Load(config);
                ia3.Validate(config);
                context.Log($"IA3 adapter, targets {string.Join(",", ia3.TargetModules)}, feed-forward {string.Join(",", ia3.FeedforwardModules)}");
                break;
            case "BOTTLENECK":
                var bn = BottleneckConfig.Load(config);
                bn.Validate(config);
                context.Log($"bottleneck adapters ({bn.Config}, reduction factor {bn.ReductionFactor}, {bn.Activation})");
                break;
            case var t when t is PromptLearningConfig.PrefixTuning or PromptLearningConfig.PromptTuning or PromptLearningConfig.PTuning:
                context.Log($"{t} adapter, {PromptLearningConfig.Load(config).NumVirtualTokens} virtual tokens (checked against the base model when loaded)");
                break;
            case var t:
                throw new WorkflowException($"input 'path': {config} has peft_type '{t}'; supported: LORA, IA3, PREFIX_TUNING, PROMPT_TUNING, P_TUNING, BOTTLENECK");
        }
        context.WriteFolder("adapter", temp =>
        {
            File.Copy(config, Path.Combine(temp, "adapter_config.json"));
            File.Copy(weights, Path.Combine(temp, "adapter_model.safetensors"));
            string readme = Path.Combine(source, "README.md");
            if (File.Exists(readme)) File.Copy(readme, Path.Combine(temp, "README.md"));
        });
        return Task.FromResult(StageResult.Completed);
    }
}
