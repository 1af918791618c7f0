using Alignment.Models.Llama;
using Alignment.Models.Peft;
using Alignment.Torch;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.ExportModel</c>: produces a plain Hugging Face model folder for use outside Alignment — a base model
/// with an optional PEFT adapter merged into its weights (W += scale·B·A), saved in the chosen dtype with its
/// tokenizer files — and, when <c>path</c> is given, copies it there too (refusing to overwrite unless asked).
/// </summary>
public sealed class ExportModelActivity : IStageActivity
{
    public const string TypeName = "Alignment.ExportModel";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Models", "Export model",
        "Merges an optional LoRA adapter into its base model and writes a Hugging Face folder (also copied to a path when given).",
        [
            new InputDescriptor("model", InputType.Artifact, "The base (or fully trained) model.", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("adapter", InputType.Artifact, "A PEFT adapter trained on that model, merged into it.", ArtifactKind: ArtifactKind.Adapter),
            new InputDescriptor("dtype", InputType.String, "Weights dtype of the exported folder.", Default: "float32", Choices: ["float32", "bfloat16", "float16"]),
            new InputDescriptor("path", InputType.String, "Also copy the folder here (outside the artifact store).", AffectsCache: false),
            new InputDescriptor("overwrite", InputType.Boolean, "Replace an existing folder at path.", Default: false, AffectsCache: false),
        ],
        [
            new OutputDescriptor("model", OutputType.Artifact, "The exported Hugging Face folder.", ArtifactKind.Model),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        var dtype = ScalarTypeExtensions.ParseDType(inputs.String("dtype"));
        string? target = inputs.OptionalString("path");
        if (target != null && Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !inputs.Bool("overwrite"))
            throw new WorkflowException($"input 'path': {Path.GetFullPath(target)} exists and is not empty; set overwrite to true or choose another folder");

        if (inputs.Has("adapter") && PeftAdapter.PeftTypeOf(inputs.Artifact("adapter").Path) is var type)
        {
            if (type is PromptLearningConfig.PrefixTuning or PromptLearningConfig.PromptTuning or PromptLearningConfig.PTuning)
                throw new WorkflowException($"input 'adapter': a {type} adapter cannot be merged into the model's weights (its virtual tokens are extra " +
                                            "inputs, not a change of weights); export the base model and keep the adapter folder beside it");
            if (type == "BOTTLENECK") throw new WorkflowException($"input 'adapter': {BottleneckAdapters.MergeRefusal}");
        }
        var record = context.WriteFolder("model", temp =>
        {
            // Merge in float32, then cast: merging in bf16 would round the update twice.
            using var model = LlamaForCausalLM.from_pretrained(inputs.Artifact("model").Path, ScalarType.Float32);
            if (inputs.Has("adapter"))
            {
                string type = PeftAdapter.load_adapter(model, inputs.Artifact("adapter").Path);
                PeftAdapter.merge_and_unload(model);
                context.Log($"merged the {type} adapter into the base weights");
            }
            if (dtype != ScalarType.Float32) model.to(dtype);
            string folder = Path.Combine(temp, "out");
            model.save_pretrained(folder);
            foreach (string file in Directory.EnumerateFiles(folder)) File.Move(file, Path.Combine(temp, Path.GetFileName(file)));
            Directory.Delete(folder);
        });
        if (target != null)
        {
            string full = Path.GetFullPath(target);
            string staging = full + $".tmp-{Guid.NewGuid():N}";
            Directory.CreateDirectory(staging);
            foreach (string file in Directory.EnumerateFiles(record.Path)) File.Copy(file, Path.Combine(staging, Path.GetFileName(file)));
            if (Directory.Exists(full)) Directory.Delete(full, recursive: true);
            Directory.Move(staging, full);
            context.Log($"copied to {full}");
        }
        return Task.FromResult(StageResult.Completed);
    }
}
