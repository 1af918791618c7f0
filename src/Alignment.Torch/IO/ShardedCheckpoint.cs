using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Torch.IO;

/// <summary>
/// A Hugging Face model folder's weights: either one model.safetensors, or shards listed by
/// model.safetensors.index.json ({"metadata": {"total_size": N}, "weight_map": {tensor: shard file}}).
/// Tensors are read one at a time, each from its own memory-mapped shard.
/// </summary>
public sealed class ShardedCheckpoint : IDisposable
{
    public const string SingleFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";

    private readonly Dictionary<string, SafetensorsFile> files;
    private readonly Dictionary<string, SafetensorsFile> owner;

    private ShardedCheckpoint(string folder, Dictionary<string, SafetensorsFile> files, Dictionary<string, SafetensorsFile> owner)
    {
        Folder = folder;
        this.files = files;
        this.owner = owner;
    }

    public string Folder { get; }

    /// <summary>All tensor names, sorted.</summary>
    public IReadOnlyList<string> Names => owner.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();

    public bool Contains(string name) => owner.ContainsKey(name);

    public TensorInfo Info(string name) => FileOf(name).Info(name);

    public Tensor Load(string name, ScalarType? dtype = null, Device? device = null) => FileOf(name).Load(name, dtype, device);

    private SafetensorsFile FileOf(string name) =>
        owner.TryGetValue(name, out var f) ? f : throw new TorchException($"{Folder}: checkpoint has no tensor named '{name}'");

    /// <summary>Opens the weights of a folder (single file or sharded index); errors name the file and what to do.</summary>
    public static ShardedCheckpoint Open(string folder)
    {
        string index = Path.Combine(folder, IndexFile);
        string single = Path.Combine(folder, SingleFile);
        var files = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        var owner = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        try
        {
            if (File.Exists(index))
            {
                foreach (var (tensor, shard) in ReadWeightMap(index))
                {
                    if (!files.TryGetValue(shard, out var f))
                    {
                        string shardPath = Path.Combine(folder, shard);
                        if (!File.Exists(shardPath))
                            throw new TorchException($"{index}: weight_map names shard '{shard}' (for '{tensor}') but {shardPath} does not exist; the download is incomplete");
                        f = SafetensorsFile.Open(shardPath);
                        files[shard] = f;
                    }
                    if (!f.Contains(tensor))
                        throw new TorchException($"{index}: weight_map puts '{tensor}' in '{shard}' but that file has no such tensor");
                    owner[tensor] = f;
                }
            }
            else if (File.Exists(single))
            {
                var f = SafetensorsFile.Open(single);
                files[SingleFile] = f;
                foreach (string n in f.Names) owner[n] = f;
            }
            else
            {
                throw new TorchException($"{folder}: no {SingleFile} or {IndexFile}; expected a Hugging Face model folder with safetensors weights " +
                                         "(convert .bin checkpoints with transformers' save_pretrained(safe_serialization=True))");
            }
        }
        catch
        {
            foreach (var f in files.Values) f.Dispose();
            throw;
        }
        return new ShardedCheckpoint(folder, files, owner);
    }

    private static IEnumerable<(string tensor, string shard)> ReadWeightMap(string index)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(index)); }
        catch (JsonException e) { throw new TorchException($"{index}: not valid JSON ({e.Message})"); }
        if (root?["weight_map"] is not JsonObject map)
            throw new TorchException($"{index}: missing object field 'weight_map'");
        var list = new List<(string, string)>();
        foreach (var kv in map)
        {
            if (kv.Value is not JsonValue v || !v.TryGetValue(out string? shard) || string.IsNullOrEmpty(shard))
                throw new TorchException($"{index}: weight_map entry '{kv.Key}' must be a file name");
            if (shard.Contains('/') || shard.Contains('\\') || shard == "..")
                throw new TorchException($"{index}: weight_map entry '{kv.Key}' names '{shard}', which is not a file in the folder");
            list.Add((kv.Key, shard));
        }
        return list;
    }

    /// <summary>
    /// Writes tensors as Hugging Face does: one model.safetensors when the total fits in maxShardBytes, else
    /// model-0000i-of-0000n.safetensors shards plus model.safetensors.index.json. Every file carries
    /// {"format": "pt"} metadata, which transformers requires. Each file is written atomically; stale weight files
    /// of a previous save in the folder are removed after the new ones are in place.
    /// </summary>
    public static void Save(string folder, IReadOnlyDictionary<string, Tensor> tensors, long maxShardBytes = 5L << 30,
                            IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (maxShardBytes <= 0) throw new TorchException($"maxShardBytes must be positive, got {maxShardBytes}");
        Directory.CreateDirectory(folder);
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["format"] = "pt" };

        var shards = new List<List<string>> { new() };
        long current = 0, total = 0;
        foreach (string name in tensors.Keys.OrderBy(k => k, StringComparer.Ordinal))
        {
            long bytes = tensors[name].numel() * tensors[name].element_size();
            if (current > 0 && current + bytes > maxShardBytes)
            {
                shards.Add(new List<string>());
                current = 0;
            }
            shards[^1].Add(name);
            current += bytes;
            total += bytes;
        }

        var written = new HashSet<string>(StringComparer.Ordinal);
        if (shards.Count == 1)
        {
            Safetensors.Save(Path.Combine(folder, SingleFile), tensors, meta);
            written.Add(SingleFile);
        }
        else
        {
            var weightMap = new JsonObject();
            for (int i = 0; i < shards.Count; i++)
            {
                string file = $"model-{i + 1:D5}-of-{shards.Count:D5}.safetensors";
                var part = shards[i].ToDictionary(n => n, n => tensors[n], StringComparer.Ordinal);
                Safetensors.Save(Path.Combine(folder, file), part, meta);
                written.Add(file);
                foreach (string n in shards[i]) weightMap[n] = file;
            }
            var index = new JsonObject
            {
                ["metadata"] = new JsonObject { ["total_size"] = total },
                ["weight_map"] = weightMap,
            };
            string indexPath = Path.Combine(folder, IndexFile);
            string tmp = indexPath + $".{Guid.NewGuid():N}.tmp";
            File.WriteAllText(tmp, index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            File.Move(tmp, indexPath, overwrite: true);
            written.Add(IndexFile);
        }
        RemoveStaleWeights(folder, written);
    }

    private static void RemoveStaleWeights(string folder, HashSet<string> keep)
    {
        foreach (string path in Directory.EnumerateFiles(folder))
        {
            string name = Path.GetFileName(path);
            bool ours = name == SingleFile || name == IndexFile ||
                        (name.StartsWith("model-", StringComparison.Ordinal) && name.EndsWith(".safetensors", StringComparison.Ordinal));
            if (ours && !keep.Contains(name)) File.Delete(path);
        }
    }

    public void Dispose()
    {
        foreach (var f in files.Values) f.Dispose();
    }
}
