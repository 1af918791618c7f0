using System.Text.Json.Nodes;

namespace Alignment.Workflows.Definitions;

/// <summary>The expression types this engine evaluates; anything else (JavaScript, C#, Liquid ...) is <see cref="Unsupported"/>.</summary>
public enum ExpressionKind
{
    /// <summary><c>{"type":"Literal","value":42}</c>: the value itself (Elsa often writes numbers as text: "42").</summary>
    Literal,
    /// <summary><c>{"type":"Input","value":"base_model"}</c>: the workflow input of that name (from <c>--input</c> or its <c>defaultValue</c>).</summary>
    Input,
    /// <summary><c>{"type":"Output","value":"sft.model"}</c>: output <c>model</c> of upstream activity id <c>sft</c> (its latest run).</summary>
    Output,
    /// <summary><c>{"type":"Variable","value":"round"}</c>: the workflow variable of that name (or id).</summary>
    Variable,
    /// <summary><c>{"type":"Artifact","value":"3f2a..."}</c>: an artifact already in the store, by sha256 (or a unique prefix).</summary>
    Artifact,
    /// <summary><c>{"type":"Formula","value":"Output:eval.winRate >= 0.6"}</c>: the small comparison language (see <c>Formulas/Formula.cs</c>).</summary>
    Formula,
    /// <summary>An expression type this engine does not run (kept as written, reported by validation).</summary>
    Unsupported,
}

/// <summary>
/// An Elsa expression <c>{"type": ..., "value": ...}</c>.
/// <para>Syntax, by type:</para>
/// <list type="bullet">
/// <item><c>Literal</c> — value is the JSON value (string, number, boolean); text is converted to the input's type ("42" → 42).</item>
/// <item><c>Input</c> — value is a workflow input name declared in the definition's <c>inputs</c>.</item>
/// <item><c>Output</c> — value is <c>activityId.outputName</c>; the activity must be upstream (connected before this one).</item>
/// <item><c>Variable</c> — value is a variable name (or id) declared in the definition's <c>variables</c>.</item>
/// <item><c>Artifact</c> — value is a sha256 (or unique prefix) of an artifact in the store.</item>
/// <item><c>Formula</c> — value is a formula such as <c>Output:eval.winRate &gt;= 0.6 and Variable:round &lt; 5</c>.</item>
/// </list>
/// </summary>
public sealed record Expression(ExpressionKind Kind, string TypeName, JsonNode? Value)
{
    /// <summary>The expression type names as written in JSON, by kind.</summary>
    public static readonly IReadOnlyDictionary<string, ExpressionKind> Kinds = new Dictionary<string, ExpressionKind>(StringComparer.Ordinal)
    {
        ["Literal"] = ExpressionKind.Literal,
        ["Input"] = ExpressionKind.Input,
        ["Output"] = ExpressionKind.Output,
        ["Variable"] = ExpressionKind.Variable,
        ["Artifact"] = ExpressionKind.Artifact,
        ["Formula"] = ExpressionKind.Formula,
    };

    /// <summary>The value as text (numbers and booleans as their JSON text), or null.</summary>
    public string? Text => JsonAccess.String(Value);

    /// <summary>Reads <c>{"type","value"}</c>; a missing type is Literal (as Elsa does for plain values).</summary>
    public static Expression Parse(JsonObject expression)
    {
        var typeName = JsonAccess.String(expression["type"]) ?? "Literal";
        var kind = Kinds.TryGetValue(typeName, out var known) ? known : ExpressionKind.Unsupported;
        return new Expression(kind, typeName, expression["value"]?.DeepClone());
    }

    /// <summary>Splits an Output reference <c>activityId.outputName</c> at its last dot; null when malformed.</summary>
    public (string ActivityId, string OutputName)? OutputReference
    {
        get
        {
            var text = Kind == ExpressionKind.Output ? Text : null;
            int dot = text?.LastIndexOf('.') ?? -1;
            if (text is null || dot <= 0 || dot == text.Length - 1) return null;
            return (text[..dot], text[(dot + 1)..]);
        }
    }

    /// <summary>The JSON form <c>{"type": ..., "value": ...}</c>.</summary>
    public JsonObject ToJson() => new() { ["type"] = TypeName, ["value"] = Value?.DeepClone() };

    public static Expression Literal(JsonNode? value) => new(ExpressionKind.Literal, "Literal", value);
    public static Expression Input(string name) => new(ExpressionKind.Input, "Input", JsonValue.Create(name));
    public static Expression Output(string activityId, string outputName) => new(ExpressionKind.Output, "Output", JsonValue.Create($"{activityId}.{outputName}"));
    public static Expression Variable(string name) => new(ExpressionKind.Variable, "Variable", JsonValue.Create(name));
    public static Expression Artifact(string hash) => new(ExpressionKind.Artifact, "Artifact", JsonValue.Create(hash));
    public static Expression Formula(string text) => new(ExpressionKind.Formula, "Formula", JsonValue.Create(text));
}
