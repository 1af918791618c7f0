using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Reporting;

/// <summary>Reads numbers out of report and metrics JSON, whatever CLR type a node was built from (int, long, double, parsed text).</summary>
public static class JsonNumber
{
    /// <summary>The number in <paramref name="node"/>, or null when it is missing, null or not a number.</summary>
    public static double? Of(JsonNode? node) =>
        node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? double.Parse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture) : null;

    /// <summary>The number in <paramref name="node"/>, or NaN.</summary>
    public static double OrNaN(JsonNode? node) => Of(node) ?? double.NaN;
}
