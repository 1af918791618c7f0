using System.Text.Json.Nodes;

namespace Alignment.Workflows.Definitions;

/// <summary>An activity input as Elsa stores it: <c>{"typeName": "String", "expression": {"type": "Literal", "value": "x"}}</c>.</summary>
/// <param name="TypeName">The declared .NET-ish type name (String, Int32, Double, Boolean, Object, Artifact ...), or null.</param>
/// <param name="Expression">The expression, or null when the input object has none (Elsa writes output bindings that way).</param>
public sealed record InputValue(string? TypeName, Expression? Expression)
{
    /// <summary>Reads an input object; null when <paramref name="node"/> is not an input-shaped object.</summary>
    public static InputValue? Parse(JsonNode? node)
    {
        if (node is not JsonObject obj || !(obj.ContainsKey("expression") || obj.ContainsKey("typeName"))) return null;
        var expression = obj["expression"] is JsonObject e ? Expression.Parse(e) : null;
        return new InputValue(JsonAccess.String(obj["typeName"]), expression);
    }
}
