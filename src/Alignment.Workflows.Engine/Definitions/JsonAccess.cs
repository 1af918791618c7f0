using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Definitions;

/// <summary>Tolerant reads of JSON nodes as Elsa writes them (numbers sometimes as strings, booleans sometimes as text).</summary>
internal static class JsonAccess
{
    public static string? String(JsonNode? node) => node is JsonValue value
        ? value.GetValueKind() switch
        {
            JsonValueKind.String => value.GetValue<string>(),
            JsonValueKind.Number => value.ToJsonString(),
            JsonValueKind.True => "true",
            JsonValueKind.False => "false",
            _ => null,
        }
        : null;

    public static int? Int(JsonNode? node)
    {
        if (node is not JsonValue value) return null;
        return value.GetValueKind() switch
        {
            JsonValueKind.Number when value.TryGetValue(out int i) => i,
            JsonValueKind.Number when value.TryGetValue(out double d) && d == Math.Floor(d) && Math.Abs(d) <= int.MaxValue => (int)d,
            JsonValueKind.String when int.TryParse(value.GetValue<string>(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) => s,
            _ => null,
        };
    }

    public static bool? Bool(JsonNode? node)
    {
        if (node is not JsonValue value) return null;
        return value.GetValueKind() switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.String when bool.TryParse(value.GetValue<string>(), out bool b) => b,
            _ => null,
        };
    }

    public static JsonObject? Object(JsonNode? node) => node as JsonObject;

    public static IEnumerable<JsonObject> Objects(JsonNode? node) =>
        node is JsonArray array ? array.OfType<JsonObject>() : [];
}
