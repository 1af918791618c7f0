using System.Text.Json.Nodes;
using Alignment.Torch;
using Alignment.Torch.IO;

namespace Alignment.Models.Checkpoints;

/// <summary>
/// Writes a Hugging Face model folder that transformers loads unchanged: config.json, generation_config.json, the
/// weights (model.safetensors or shards + model.safetensors.index.json, {"format": "pt"} metadata) and the tokenizer
/// files of the folder the model came from. The folder is assembled under a temporary name beside the target and
/// renamed into place when complete, so a crash never leaves a half-written model under the target name.
/// </summary>
public static class PretrainedFolder
{
    /// <summary>Tokenizer and chat-template files copied from the source folder when present.</summary>
    public static readonly IReadOnlyList<string> TokenizerFiles =
    [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "added_tokens.json", "vocab.json",
        "merges.txt", "tokenizer.model", "chat_template.jinja", "chat_template.json",
    ];

    /// <summary>Writes the folder.</summary>
    /// <param name="folder">Target; must not exist or be empty unless <paramref name="overwrite"/>.</param>
    /// <param name="configJson">config.json text.</param>
    /// <param name="generationConfigJson">generation_config.json text, used when the source folder has none.</param>
    /// <param name="tensors">Weights by Hugging Face name, saved in their own dtype.</param>
    /// <param name="sourceFolder">Folder to copy tokenizer files and generation_config.json from, or null.</param>
    /// <param name="maxShardBytes">Shard size limit (transformers' default 5 GB).</param>
    /// <param name="overwrite">Replace an existing non-empty folder as a whole (files in it that are not part of the
    /// model are lost).</param>
    public static void Save(string folder, string configJson, string generationConfigJson, IReadOnlyDictionary<string, Tensor> tensors,
                            string? sourceFolder, long maxShardBytes = 5L << 30, bool overwrite = false)
    {
        string target = Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any() && !overwrite)
            throw new ModelException($"{target}: the folder exists and is not empty; choose a new folder or pass overwrite: true to replace it");
        string parent = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(parent);
        string temp = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(temp);
            File.WriteAllText(Path.Combine(temp, "config.json"), configJson + "\n");
            string? sourceGeneration = sourceFolder is null ? null : Path.Combine(sourceFolder, "generation_config.json");
            if (sourceGeneration is not null && File.Exists(sourceGeneration)) File.Copy(sourceGeneration, Path.Combine(temp, "generation_config.json"));
            else File.WriteAllText(Path.Combine(temp, "generation_config.json"), generationConfigJson + "\n");
            if (sourceFolder is not null)
                foreach (string name in TokenizerFiles)
                    if (File.Exists(Path.Combine(sourceFolder, name))) File.Copy(Path.Combine(sourceFolder, name), Path.Combine(temp, name));
            ShardedCheckpoint.Save(temp, tensors, maxShardBytes);
            Swap(temp, target);
        }
        catch
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
            throw;
        }
    }

    /// <summary>generation_config.json as transformers derives it from a model config: {"_from_model_config": true,
    /// bos_token_id, eos_token_id, pad_token_id} (absent ids omitted).</summary>
    public static string GenerationConfigFrom(int? bos, int[]? eos, int? pad)
    {
        var obj = new JsonObject { ["_from_model_config"] = true };
        if (bos is int b) obj["bos_token_id"] = b;
        if (eos is { Length: 1 }) obj["eos_token_id"] = eos[0];
        else if (eos is { Length: > 1 }) obj["eos_token_id"] = new JsonArray(eos.Select(e => (JsonNode)e).ToArray());
        if (pad is int p) obj["pad_token_id"] = p;
        return obj.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
    }

    // temp → target: an absent or empty target is replaced by one rename; an existing one is moved aside first, put back
    // if the second rename fails, and deleted after.
    private static void Swap(string temp, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(temp, target);
            return;
        }
        string old = Path.Combine(Path.GetDirectoryName(target)!, $".{Path.GetFileName(target)}.old-{Guid.NewGuid():N}");
        Directory.Move(target, old);
        try
        {
            Directory.Move(temp, target);
        }
        catch
        {
            Directory.Move(old, target);
            throw;
        }
        Directory.Delete(old, recursive: true);
    }
}
