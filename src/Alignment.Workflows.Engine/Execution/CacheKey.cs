using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Execution;

/// <summary>
/// The stage cache key: sha256 of the canonical JSON <c>{"type", "version", "parameters", "inputs"}</c> — the stage
/// type and version (so a new stage version never reuses old results), its resolved parameters (inputs that affect
/// results; a file input counts by its content sha256, not its path, together with the content of the files it names,
/// see <see cref="InputDescriptor.ReferencedFiles"/>) and its input artifact hashes; keys sorted, no whitespace.
/// </summary>
public static class CacheKey
{
    /// <summary>Builds the parameters recorded with the run (all non-artifact inputs; files with path and sha256).</summary>
    public static JsonObject Parameters(ActivityDescriptor descriptor, IReadOnlyDictionary<string, object?> values)
    {
        var parameters = new JsonObject();
        foreach (var input in descriptor.Inputs.Where(i => i.Type != InputType.Artifact).OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var value = values.GetValueOrDefault(input.Name);
            parameters[input.Name] = input.Type == InputType.File && value is string path
                ? FileParameter(input, path)
                : ValueConversion.ToJson(value);
        }
        return parameters;
    }

    // {"path", "sha256"} plus, when the file names others, "references": [{"path", "sha256"}] (a missing one hashes as
    // "missing", so creating it later changes the key too).
    private static JsonObject FileParameter(InputDescriptor input, string path)
    {
        var file = new JsonObject { ["path"] = path, ["sha256"] = ContentHasher.HashFile(path) };
        var referenced = input.ReferencedFiles?.Invoke(path) ?? [];
        if (referenced.Count > 0)
            file["references"] = new JsonArray(referenced.Select(r => (JsonNode)new JsonObject
            {
                ["path"] = r,
                ["sha256"] = File.Exists(r) ? ContentHasher.HashFile(r) : "missing",
            }).ToArray());
        return file;
    }

    /// <summary>The input artifacts, name to hash.</summary>
    public static IReadOnlyList<ArtifactInput> Inputs(ActivityDescriptor descriptor, IReadOnlyDictionary<string, object?> values) =>
        descriptor.Inputs.Where(i => i.Type == InputType.Artifact && values.GetValueOrDefault(i.Name) is ArtifactRecord)
            .OrderBy(i => i.Name, StringComparer.Ordinal)
            .Select(i => new ArtifactInput(i.Name, ((ArtifactRecord)values[i.Name]!).Hash)).ToList();

    /// <summary>The key for a stage run.</summary>
    public static string Compute(ActivityDescriptor descriptor, JsonObject parameters, IReadOnlyList<ArtifactInput> inputs)
    {
        var keyed = new JsonObject();
        foreach (var input in descriptor.Inputs.Where(i => i.AffectsCache && i.Type != InputType.Artifact).OrderBy(i => i.Name, StringComparer.Ordinal))
        {
            var value = parameters[input.Name];
            keyed[input.Name] = value is JsonObject file && file["sha256"] is { } sha
                ? file["references"] is JsonArray refs
                    ? new JsonArray([sha.DeepClone(), .. refs.Select(r => r!["sha256"]!.DeepClone())])   // contents only: moving the folder keeps the key
                    : sha.DeepClone()
                : value?.DeepClone();
        }
        var document = new JsonObject
        {
            ["type"] = descriptor.Type,
            ["version"] = descriptor.Version,
            ["parameters"] = keyed,
            ["inputs"] = new JsonObject(inputs.Select(i => KeyValuePair.Create(i.Name, (JsonNode?)JsonValue.Create(i.Hash)))),
        };
        if (descriptor.Revision != 0) document["revision"] = descriptor.Revision;   // revision 0 keeps the keys older stores hold
        return ContentHasher.HashText(document.ToJsonString());
    }
}
