using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Activities;

/// <summary>
/// Converts input values (JSON literals, <c>--input</c> text, formula results) to declared input types. Text is
/// accepted where Elsa writes it ("42", "0.5", "true"); anything else that does not fit is a clear problem.
/// </summary>
public static class ValueConversion
{
    /// <summary>Elsa type names that fit each input type (null and "Object" fit every type).</summary>
    private static readonly Dictionary<InputType, string[]> TypeNames = new()
    {
        [InputType.String] = ["String"],
        [InputType.File] = ["String", "File"],
        [InputType.Integer] = ["Int32", "Int64", "Int16", "Integer"],
        [InputType.Number] = ["Double", "Single", "Decimal", "Number", "Int32", "Int64", "Int16", "Integer"],
        [InputType.Boolean] = ["Boolean"],
        [InputType.Artifact] = ["Artifact", "String"],
    };

    /// <summary>Whether an Elsa <c>typeName</c> fits the declared input type.</summary>
    public static bool TypeNameFits(InputType type, string? typeName) =>
        typeName is null or "Object" || TypeNames[type].Any(n => string.Equals(n, typeName, StringComparison.OrdinalIgnoreCase));

    /// <summary>The accepted type names, for messages.</summary>
    public static string AcceptedTypeNames(InputType type) => string.Join(", ", TypeNames[type]);

    /// <summary>
    /// Converts <paramref name="value"/> (a JSON value, string, number or boolean) to the CLR value of
    /// <paramref name="type"/>: string, long, double or bool (File and Artifact inputs take text). Returns the problem on failure.
    /// </summary>
    public static bool TryConvert(object? value, InputType type, out object? result, out string? problem)
    {
        result = null;
        problem = null;
        var scalar = Unwrap(value);
        if (scalar is null)
        {
            problem = "is empty";
            return false;
        }
        switch (type)
        {
            case InputType.String or InputType.File or InputType.Artifact:
                if (scalar is string s) { result = s; return true; }
                if (type == InputType.String && scalar is double or long or bool) { result = Text(scalar); return true; }
                break;
            case InputType.Integer:
                if (scalar is long l) { result = l; return true; }
                if (scalar is double d && d == Math.Floor(d) && Math.Abs(d) < 9e15) { result = (long)d; return true; }
                if (scalar is string si && long.TryParse(si.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long pl)) { result = pl; return true; }
                break;
            case InputType.Number:
                if (scalar is double dd) { result = dd; return true; }
                if (scalar is long ll) { result = (double)ll; return true; }
                if (scalar is string sn && double.TryParse(sn.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double pd) && double.IsFinite(pd)) { result = pd; return true; }
                break;
            case InputType.Boolean:
                if (scalar is bool b) { result = b; return true; }
                if (scalar is string sb && bool.TryParse(sb.Trim(), out bool pb)) { result = pb; return true; }
                break;
        }
        problem = $"expected {Expected(type)}, got {Describe(scalar)}";
        return false;
    }

    /// <summary>The value as a JSON node (for parameters and outputs).</summary>
    public static JsonNode? ToJson(object? value) => value switch
    {
        null => null,
        JsonNode node => node.DeepClone(),
        string s => JsonValue.Create(s),
        long l => JsonValue.Create(l),
        int i => JsonValue.Create(i),
        double d => JsonValue.Create(d),
        bool b => JsonValue.Create(b),
        _ => JsonValue.Create(value.ToString()),
    };

    private static object? Unwrap(object? value) => value switch
    {
        JsonValue json => json.GetValueKind() switch
        {
            JsonValueKind.String => json.GetValue<string>(),
            JsonValueKind.Number => long.TryParse(json.ToJsonString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long l)
                ? l : double.Parse(json.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture),
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => null,
        },
        JsonNode => "\u0000object",
        int i => (long)i,
        float f => (double)f,
        _ => value,
    };

    private static string Expected(InputType type) => type switch
    {
        InputType.Integer => "a whole number",
        InputType.Number => "a number",
        InputType.Boolean => "true or false",
        InputType.File => "a file path",
        InputType.Artifact => "an artifact hash",
        _ => "text",
    };

    private static string Describe(object scalar) => scalar switch
    {
        "\u0000object" => "a JSON object or array",
        string s => $"\"{s}\"",
        _ => Text(scalar),
    };

    private static string Text(object scalar) => scalar switch
    {
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        long l => l.ToString(CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        _ => scalar.ToString() ?? "",
    };
}
