using Alignment.Models.Llama;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.ImportModel</c>: a Hugging Face model folder (config.json, safetensors weights, tokenizer files)
/// becomes a model artifact, so the stages after it can name it by hash and the cache sees its content. The
/// config is checked and the weights' names and shapes are verified before anything is copied.
/// </summary>
public sealed class ImportModelActivity : IStageActivity
{
    public const string TypeName = "Alignment.ImportModel";

    /// <summary>Files of a model folder that are copied (weights, config, generation config, tokenizer files).</summary>
    private static readonly string[] Patterns =
        ["config.json", "generation_config.json", "*.safetensors", "model.safetensors.index.json", "tokenizer.json", "tokenizer_config.json",
         "special_tokens_map.json", "vocab.json", "merges.txt", "tokenizer.model", "chat_template.jinja", "added_tokens.json"];

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Models", "Import model",
        "Copies a Hugging Face model folder (config, safetensors weights, tokenizer) into the artifact store after checking it loads.",
        [
            new InputDescriptor("path", InputType.String, "The model folder (relative paths: to the current folder).", Required: true),
        ],
        [
            new OutputDescriptor("model", OutputType.Artifact, "The model folder.", ArtifactKind.Model),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        string source = Path.GetFullPath(context.Inputs.String("path"));
        if (!Directory.Exists(source)) throw new WorkflowException($"input 'path': model folder {source} does not exist");
        // Loading checks config.json and every tensor name and shape (and reports all problems at once).
        using (var probe = LlamaForCausalLM.from_pretrained(source))
            foreach (var w in probe.warnings) context.Log($"warning: {w}");
        context.WriteFolder("model", temp =>
        {
            int copied = 0;
            foreach (string pattern in Patterns)
                foreach (string file in Directory.EnumerateFiles(source, pattern))
                {
                    File.Copy(file, Path.Combine(temp, Path.GetFileName(file)), overwrite: true);
                    copied++;
                }
            context.Log($"copied {copied} files from {source}");
        });
        return Task.FromResult(StageResult.Completed);
    }
}
