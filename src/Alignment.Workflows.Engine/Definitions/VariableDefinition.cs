using System.Text.Json.Nodes;

namespace Alignment.Workflows.Definitions;

/// <summary>A workflow variable <c>{"id", "name", "typeName", "value"}</c>; its initial value is <c>value</c> (Elsa writes it as text, "0").</summary>
public sealed record VariableDefinition(string? Id, string Name, string TypeName, JsonNode? Value)
{
    internal static VariableDefinition? Parse(JsonObject json) =>
        JsonAccess.String(json["name"]) is { Length: > 0 } name
            ? new VariableDefinition(JsonAccess.String(json["id"]), name, JsonAccess.String(json["typeName"]) ?? "Object", json["value"]?.DeepClone())
            : null;
}

/// <summary>
/// A workflow input <c>{"name", "type", "description", "defaultValue"?}</c>. Values come from <c>--input name=value</c>;
/// <c>defaultValue</c> (an addition to Elsa's shape) is used when none is given.
/// </summary>
public sealed record WorkflowInputDefinition(string Name, string Type, string? Description, JsonNode? DefaultValue)
{
    internal static WorkflowInputDefinition? Parse(JsonObject json) =>
        JsonAccess.String(json["name"]) is { Length: > 0 } name
            ? new WorkflowInputDefinition(name, JsonAccess.String(json["type"]) ?? "Object", JsonAccess.String(json["description"]), json["defaultValue"]?.DeepClone())
            : null;
}
