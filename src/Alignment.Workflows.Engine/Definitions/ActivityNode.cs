using System.Text.Json.Nodes;

namespace Alignment.Workflows.Definitions;

/// <summary>
/// One activity of a flowchart, backed by its JSON object so that keys this engine does not know (Elsa's
/// <c>nodeId</c>, <c>customProperties</c>, designer sizes, other tools' inputs) survive a round trip.
/// Inputs are top-level camelCase keys holding <c>{"typeName", "expression"}</c>; the designer position is
/// <c>metadata.designer.position {x, y}</c>. Engine options are custom properties:
/// <c>customProperties.cache</c> (false: never reuse a cached result of this activity) and
/// <c>customProperties.retry</c> (<c>{"maxAttempts": 3, "delayMs": 1000}</c>: retries of transient failures,
/// exponential backoff from delayMs).
/// </summary>
public sealed class ActivityNode(JsonObject json, int index)
{
    /// <summary>Keys of an activity object that are never inputs.</summary>
    public static readonly IReadOnlySet<string> ReservedKeys = new HashSet<string>(StringComparer.Ordinal)
    {
        "id", "nodeId", "name", "type", "version", "customProperties", "metadata", "canStartWorkflow", "runAsynchronously",
        "displayName", "description",
    };

    /// <summary>The JSON object this activity reads from and writes to.</summary>
    public JsonObject Json { get; } = json;

    /// <summary>Position in the flowchart's <c>activities</c> array (0-based), for messages about activities without an id.</summary>
    public int Index { get; } = index;

    public string? Id => JsonAccess.String(Json["id"]);
    public string? Name => JsonAccess.String(Json["name"]);
    public string? Type => JsonAccess.String(Json["type"]);
    /// <summary>The activity type version; Elsa writes 1 when absent.</summary>
    public int? Version => Json.ContainsKey("version") ? JsonAccess.Int(Json["version"]) : 1;

    /// <summary>"id 'x' (name 'y')" — how messages name the activity.</summary>
    public string Label => $"activity '{Id ?? $"#{Index + 1}"}' ({(Name is { Length: > 0 } n ? $"name '{n}'" : "no name")})";

    /// <summary>Whether results of this activity may be reused from the stage cache (custom property <c>cache</c>, default true).</summary>
    public bool CacheEnabled => JsonAccess.Bool(Json["customProperties"]?["cache"]) ?? true;

    /// <summary>Elsa's <c>customProperties.canStartWorkflow</c>: the run starts here even though connections lead in.</summary>
    public bool CanStartWorkflow => JsonAccess.Bool(Json["customProperties"]?["canStartWorkflow"]) ?? false;

    /// <summary>The custom property <c>retry</c>, when present.</summary>
    public JsonObject? RetryOptions => Json["customProperties"]?["retry"] as JsonObject;

    /// <summary>The input stored under <paramref name="name"/>, or null when absent (or JSON null).</summary>
    public InputValue? GetInput(string name) => InputValue.Parse(Json[name]);

    /// <summary>The keys that hold input-shaped objects (<c>{"typeName"|"expression"}</c>), in file order.</summary>
    public IEnumerable<string> InputKeys =>
        Json.Where(p => !ReservedKeys.Contains(p.Key) && InputValue.Parse(p.Value) is not null).Select(p => p.Key);

    /// <summary>Sets (or replaces) an input.</summary>
    public void SetInput(string name, string typeName, Expression expression) =>
        Json[name] = new JsonObject { ["typeName"] = typeName, ["expression"] = expression.ToJson() };

    /// <summary>Sets a custom property (e.g. <c>cache</c>).</summary>
    public void SetCustomProperty(string key, JsonNode? value)
    {
        if (Json["customProperties"] is not JsonObject custom)
            Json["customProperties"] = custom = new JsonObject();
        custom[key] = value;
    }

    /// <summary>The designer position, when present.</summary>
    public (double X, double Y)? Position =>
        Json["metadata"]?["designer"]?["position"] is JsonObject p && p["x"] is JsonValue x && p["y"] is JsonValue y &&
        x.TryGetValue(out double px) && y.TryGetValue(out double py) ? (px, py) : null;

    /// <summary>Sets <c>metadata.designer.position</c> (and a default size when none is set).</summary>
    public void SetPosition(double x, double y)
    {
        if (Json["metadata"] is not JsonObject metadata) Json["metadata"] = metadata = new JsonObject();
        if (metadata["designer"] is not JsonObject designer) metadata["designer"] = designer = new JsonObject();
        designer["position"] = new JsonObject { ["x"] = x, ["y"] = y };
        designer["size"] ??= new JsonObject { ["width"] = 200, ["height"] = 50 };
    }
}
