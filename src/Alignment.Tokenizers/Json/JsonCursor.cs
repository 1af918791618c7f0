using System.Text.Json;

namespace Alignment.Tokenizers.Json;

/// <summary>
/// A position in a JSON document that knows its file name and JSON path, so every loading error
/// reads like <c>tokenizer.json: model.type 'Unigram' is not supported (supported: BPE)</c>.
/// </summary>
internal readonly struct JsonCursor
{
    public JsonCursor(JsonElement element, string file, string path)
    {
        Element = element;
        File = file;
        Path = path;
    }

    public JsonElement Element { get; }
    public string File { get; }
    public string Path { get; }

    public bool IsNull => Element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined;

    public TokenizerException Error(string message) => new($"{File}: {Path} {message}");

    public JsonCursor Child(string name)
    {
        if (Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var value))
            return new JsonCursor(value, File, Join(name));
        throw new TokenizerException($"{File}: {Join(name)} is missing");
    }

    /// <summary>The property, or a null cursor when it is absent.</summary>
    public JsonCursor Optional(string name)
    {
        if (Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var value))
            return new JsonCursor(value, File, Join(name));
        return new JsonCursor(default, File, Join(name));
    }

    public bool Has(string name) =>
        Element.ValueKind == JsonValueKind.Object && Element.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null;

    public string GetString()
    {
        if (Element.ValueKind != JsonValueKind.String)
            throw Error($"must be a string (found {Describe()})");
        return Element.GetString()!;
    }

    public string? GetStringOrNull() => IsNull ? null : GetString();

    public bool GetBool(bool fallback)
    {
        if (IsNull) return fallback;
        return Element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"must be true or false (found {Describe()})"),
        };
    }

    public int GetInt()
    {
        if (Element.ValueKind != JsonValueKind.Number || !Element.TryGetInt32(out int value))
            throw Error($"must be an integer (found {Describe()})");
        return value;
    }

    public int GetInt(int fallback) => IsNull ? fallback : GetInt();

    /// <summary>The <c>type</c> discriminator of a component object.</summary>
    public string TypeName()
    {
        if (Element.ValueKind != JsonValueKind.Object)
            throw Error($"must be an object (found {Describe()})");
        return Child("type").GetString();
    }

    public IEnumerable<JsonCursor> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array)
            throw Error($"must be an array (found {Describe()})");
        int i = 0;
        foreach (var item in Element.EnumerateArray())
            yield return new JsonCursor(item, File, $"{Path}[{i++}]");
    }

    public IEnumerable<(string Name, JsonCursor Value)> Properties()
    {
        if (Element.ValueKind != JsonValueKind.Object)
            throw Error($"must be an object (found {Describe()})");
        foreach (var p in Element.EnumerateObject())
            yield return (p.Name, new JsonCursor(p.Value, File, Join(p.Name)));
    }

    /// <summary>For a cursor on a <c>type</c> field: <c>file: path 'Found' is not supported (supported: ...)</c>.</summary>
    public TokenizerException Unsupported(string found, string supported) =>
        new($"{File}: {Path} '{found}' is not supported (supported: {supported})");

    private string Join(string name) => Path.Length == 0 ? name : $"{Path}.{name}";

    private string Describe() => Element.ValueKind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.String => $"\"{Element.GetString()}\"",
        _ => Element.ValueKind.ToString().ToLowerInvariant(),
    };
}
