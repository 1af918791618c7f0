using System.Text.Json;

namespace Alignment.Models.Peft;

/// <summary>Reads an adapter folder's adapter_config.json into a config record, naming the file in every error.</summary>
internal static class AdapterJson
{
    public static T Load<T>(string path) where T : class
    {
        if (!File.Exists(path)) throw new ModelException($"{path}: not found; an adapter folder holds adapter_config.json and adapter_model.safetensors");
        try
        {
            return JsonSerializer.Deserialize<T>(File.ReadAllText(path)) ?? throw new ModelException($"{path}: empty");
        }
        catch (JsonException e)
        {
            throw new ModelException($"{path}: {e.Message}");
        }
    }

    /// <summary>True when an optional JSON value is present and not empty (null, [] and {} count as unset).</summary>
    public static bool IsSet(JsonElement? e) =>
        e is { } v && v.ValueKind is not (JsonValueKind.Null or JsonValueKind.Undefined) &&
        !(v.ValueKind == JsonValueKind.Array && v.GetArrayLength() == 0) &&
        !(v.ValueKind == JsonValueKind.Object && !v.EnumerateObject().Any());
}
