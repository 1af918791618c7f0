using System.Text.Json.Nodes;

namespace Alignment.Workflows.Definitions;

/// <summary>
/// A flowchart connection <c>{"source": {"activity", "port"}, "target": {"activity", "port"}, "vertices": [...]}</c>,
/// backed by its JSON object (unknown keys such as <c>vertices</c> survive a round trip).
/// </summary>
public sealed class FlowConnection(JsonObject json)
{
    /// <summary>The JSON object this connection reads from and writes to.</summary>
    public JsonObject Json { get; } = json;

    public string? SourceActivity => JsonAccess.String(Json["source"]?["activity"]);
    /// <summary>The source port; Elsa's default outcome is "Done".</summary>
    public string SourcePort => JsonAccess.String(Json["source"]?["port"]) ?? "Done";
    public string? TargetActivity => JsonAccess.String(Json["target"]?["activity"]);
    /// <summary>The target port; flowchart activities are entered through "In".</summary>
    public string TargetPort => JsonAccess.String(Json["target"]?["port"]) ?? "In";

    /// <summary>A new connection object.</summary>
    public static JsonObject Create(string source, string sourcePort, string target, string targetPort = "In") => new()
    {
        ["source"] = new JsonObject { ["activity"] = source, ["port"] = sourcePort },
        ["target"] = new JsonObject { ["activity"] = target, ["port"] = targetPort },
        ["vertices"] = new JsonArray(),
    };

    public override string ToString() => $"{SourceActivity}:{SourcePort} -> {TargetActivity}:{TargetPort}";
}
