using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Training.Config;

/// <summary>A bad config value or key: the message names the file, line (when known) and field, and says what to do.</summary>
public sealed class ConfigException(string message) : Exception(message);

/// <summary>One documented option of an options type.</summary>
public sealed record OptionInfo(string Key, Type Type, object? Default, string Description, PropertyInfo Property)
{
    /// <summary>A short name for the type as users write it in JSON.</summary>
    public string TypeName => JsonTypeName(Type);

    internal static string JsonTypeName(Type t)
    {
        t = Nullable.GetUnderlyingType(t) ?? t;
        if (t == typeof(string)) return "string";
        if (t == typeof(bool)) return "bool";
        if (t == typeof(int) || t == typeof(long) || t == typeof(ulong)) return "integer";
        if (t == typeof(double) || t == typeof(float)) return "number";
        if (t.IsEnum) return string.Join("|", Enum.GetNames(t).Select(ToSnake));
        if (t.IsArray || (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(List<>))) return "list";
        return t.Name;
    }

    public static string ToSnake(string name) =>
        string.Concat(name.Select((c, i) => char.IsUpper(c) ? (i > 0 ? "_" : "") + char.ToLowerInvariant(c) : c.ToString()));
}

/// <summary>
/// Binds a JSON config file plus `--set key=value` overrides onto an options class whose settable properties carry
/// <see cref="OptionAttribute"/>. Unknown keys, values of the wrong type and malformed JSON are errors that name the
/// file, the line and the key (with a "did you mean" for near misses). Values set by neither keep their defaults.
/// </summary>
public static class OptionsBinder
{
    public static IReadOnlyList<OptionInfo> Describe<T>() where T : new() => Describe(typeof(T));

    public static IReadOnlyList<OptionInfo> Describe(Type type)
    {
        object defaults = Activator.CreateInstance(type)!;
        return type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Select(p => (p, a: p.GetCustomAttribute<OptionAttribute>()))
            .Where(x => x.a != null && x.p.CanWrite)
            .Select(x => new OptionInfo(x.a!.Key, x.p.PropertyType, x.p.GetValue(defaults), x.a.Description, x.p))
            .ToList();
    }

    /// <summary>Reads configPath (may be null: defaults only), applies overrides ("key=value", value parsed as JSON when
    /// it is valid JSON, else taken as a string) and returns the bound options.</summary>
    public static T Bind<T>(string? configPath, IEnumerable<string>? overrides = null) where T : new()
    {
        var options = Describe<T>().ToDictionary(o => o.Key, StringComparer.Ordinal);
        var result = new T();
        string? text = null;
        if (configPath != null)
        {
            if (!File.Exists(configPath)) throw new ConfigException($"{configPath}: config file not found");
            text = File.ReadAllText(configPath);
            JsonNode? root;
            try
            {
                if (FirstDuplicateKey(text) is var (duplicate, line))
                    throw new ConfigException($"{configPath}:{line}: option '{duplicate}' is given twice; keep one");
                root = JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, AllowDuplicateProperties = false });
            }
            catch (JsonException e)
            {
                throw new ConfigException($"{configPath}:{(e.LineNumber ?? 0) + 1}: not valid JSON ({FirstSentence(e.Message)})");
            }
            if (root is not JsonObject obj) throw new ConfigException($"{configPath}: the config must be a JSON object of option keys");
            foreach (var (key, value) in obj)
                Apply(result, options, key, value, $"{configPath}:{LineOf(text, key)}");
        }
        foreach (string pair in overrides ?? Array.Empty<string>())
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new ConfigException($"--set {pair}: expected key=value");
            string key = pair[..eq].Trim(), raw = pair[(eq + 1)..];
            JsonNode? value;
            try { value = JsonNode.Parse(raw); }
            catch (JsonException) { value = JsonValue.Create(raw); }
            Apply(result, options, key, value, $"--set {key}");
        }
        return result;
    }

    /// <summary>The first top-level key that occurs twice and the line of its second occurrence (JSON parsers differ on
    /// which value wins, so a config must not depend on it); throws <see cref="JsonException"/> for malformed text.</summary>
    private static (string Key, int Line)? FirstDuplicateKey(string text)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(text);
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.PropertyName || reader.CurrentDepth != 1) continue;
            string key = reader.GetString()!;
            if (!seen.Add(key)) return (key, 1 + bytes.AsSpan(0, (int)reader.TokenStartIndex).Count((byte)'\n'));
            reader.Skip();
        }
        return null;
    }

    private static void Apply(object target, Dictionary<string, OptionInfo> options, string key, JsonNode? value, string where)
    {
        if (!options.TryGetValue(key, out var info))
        {
            string? close = options.Keys.OrderBy(k => Distance(k, key)).FirstOrDefault(k => Distance(k, key) <= Math.Max(2, key.Length / 4));
            throw new ConfigException($"{where}: unknown option '{key}'" + (close != null ? $"; did you mean '{close}'?" : "") +
                                      $" Valid options: {string.Join(", ", options.Keys.Order(StringComparer.Ordinal))} (`--help` describes each)");
        }
        object? converted;
        try
        {
            converted = Convert(value, info.Type);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or OverflowException or ArgumentException)
        {
            throw new ConfigException($"{where}: option '{key}' expects {info.TypeName}, got {value?.ToJsonString() ?? "null"}");
        }
        info.Property.SetValue(target, converted);
    }

    private static object? Convert(JsonNode? value, Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (value is null)
        {
            if (underlying != null || !type.IsValueType) return null;
            throw new InvalidOperationException("null");
        }
        var t = underlying ?? type;
        if (t.IsEnum)
        {
            string s = value.GetValue<string>();
            foreach (string name in Enum.GetNames(t))
                if (string.Equals(OptionInfo.ToSnake(name), s, StringComparison.OrdinalIgnoreCase) || string.Equals(name, s, StringComparison.OrdinalIgnoreCase))
                    return Enum.Parse(t, name);
            throw new ArgumentException(s);
        }
        if (t == typeof(string)) return value is JsonValue v && v.TryGetValue(out string? str) ? str : throw new InvalidOperationException();
        if (t == typeof(double) && value is JsonValue dv && dv.TryGetValue(out string? ds))
            return double.Parse(ds, NumberStyles.Float, CultureInfo.InvariantCulture);   // "1e-5" given as a string via --set
        return value.Deserialize(t);
    }

    private static int LineOf(string text, string key)
    {
        int at = text.IndexOf($"\"{key}\"", StringComparison.Ordinal);
        if (at < 0) return 1;
        int line = 1;
        for (int i = 0; i < at; i++) if (text[i] == '\n') line++;
        return line;
    }

    private static string FirstSentence(string message)
    {
        int dot = message.IndexOf(". ", StringComparison.Ordinal);
        return dot > 0 ? message[..dot] : message;
    }

    private static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
