using System.Text.Json.Nodes;

namespace Alignment.Workflows.Definitions;

/// <summary>
/// An Elsa 3 workflow definition: <c>definitionId</c>, <c>version</c>, <c>isLatest</c>, <c>isPublished</c>, <c>name</c>,
/// <c>description</c>, <c>variables</c>, <c>inputs</c>, <c>outputs</c> and a root <c>{"type": "Elsa.Flowchart",
/// "activities": [...], "connections": [...]}</c>. Backed by the parsed JSON object: typed accessors read it, setters
/// and builders write into it, and every key this engine does not know is kept as it was, so files made by Elsa
/// Studio survive being read and written here. Read and write with <see cref="DefinitionSerializer"/>.
/// </summary>
public sealed class WorkflowDefinition
{
    /// <summary>The root activity type of every definition this engine runs.</summary>
    public const string FlowchartType = "Elsa.Flowchart";

    public WorkflowDefinition(JsonObject json) => Json = json;

    /// <summary>The whole document.</summary>
    public JsonObject Json { get; }

    public string? DefinitionId { get => JsonAccess.String(Json["definitionId"]); set => Json["definitionId"] = value; }
    /// <summary>The definition version (1 when absent).</summary>
    public int Version { get => JsonAccess.Int(Json["version"]) ?? 1; set => Json["version"] = value; }
    public bool IsLatest { get => JsonAccess.Bool(Json["isLatest"]) ?? true; set => Json["isLatest"] = value; }
    public bool IsPublished { get => JsonAccess.Bool(Json["isPublished"]) ?? false; set => Json["isPublished"] = value; }
    public string? Name { get => JsonAccess.String(Json["name"]); set => Json["name"] = value; }
    public string? Description { get => JsonAccess.String(Json["description"]); set => Json["description"] = value; }

    /// <summary>The step budget when none is set: activity executions one instance may run (loops included).</summary>
    public const int DefaultMaxSteps = 10_000;

    /// <summary>
    /// The step budget from <c>customProperties.maxSteps</c>: how many activity executions an instance may run in all
    /// (every iteration of a loop counts) before it faults; null when unset (<see cref="DefaultMaxSteps"/> applies).
    /// Validation reports a value that is not a positive whole number.
    /// </summary>
    public int? MaxSteps
    {
        get => JsonAccess.Int(Json["customProperties"]?["maxSteps"]);
        set
        {
            if (Json["customProperties"] is not JsonObject properties) Json["customProperties"] = properties = new JsonObject();
            properties["maxSteps"] = value;
        }
    }

    /// <summary>The step budget that applies: <see cref="MaxSteps"/> or <see cref="DefaultMaxSteps"/>.</summary>
    public int StepBudget => MaxSteps ?? DefaultMaxSteps;

    /// <summary>The root flowchart object, or null when the document has none.</summary>
    public JsonObject? Root => Json["root"] as JsonObject;

    /// <summary>The root's activity type (should be <see cref="FlowchartType"/>).</summary>
    public string? RootType => JsonAccess.String(Root?["type"]);

    /// <summary>The flowchart's activities, in file order (non-object entries are skipped; validation reports them).</summary>
    public IReadOnlyList<ActivityNode> Activities =>
        (Root?["activities"] as JsonArray)?.Select((n, i) => (n, i)).Where(x => x.n is JsonObject)
            .Select(x => new ActivityNode((JsonObject)x.n!, x.i)).ToList() ?? [];

    /// <summary>The flowchart's connections, in file order.</summary>
    public IReadOnlyList<FlowConnection> Connections =>
        JsonAccess.Objects(Root?["connections"]).Select(c => new FlowConnection(c)).ToList();

    /// <summary>Workflow variables (top-level <c>variables</c>, then the root's, as Elsa allows both).</summary>
    public IReadOnlyList<VariableDefinition> Variables =>
        JsonAccess.Objects(Json["variables"]).Concat(JsonAccess.Objects(Root?["variables"]))
            .Select(VariableDefinition.Parse).OfType<VariableDefinition>().ToList();

    /// <summary>Workflow inputs.</summary>
    public IReadOnlyList<WorkflowInputDefinition> Inputs =>
        JsonAccess.Objects(Json["inputs"]).Select(WorkflowInputDefinition.Parse).OfType<WorkflowInputDefinition>().ToList();

    /// <summary>The activity with this id, or null.</summary>
    public ActivityNode? FindActivity(string id) => Activities.FirstOrDefault(a => a.Id == id);

    /// <summary>A new, empty definition (flowchart root, no activities).</summary>
    public static WorkflowDefinition Create(string definitionId, string name, string? description = null) => new(new JsonObject
    {
        ["$schema"] = "https://elsaworkflows.io/schemas/workflow-definition/v3.0.0/schema.json",
        ["id"] = definitionId + "-v1",
        ["definitionId"] = definitionId,
        ["name"] = name,
        ["description"] = description ?? "",
        ["version"] = 1,
        ["isLatest"] = true,
        ["isPublished"] = true,
        ["variables"] = new JsonArray(),
        ["inputs"] = new JsonArray(),
        ["outputs"] = new JsonArray(),
        ["root"] = new JsonObject
        {
            ["id"] = "flowchart",
            ["type"] = FlowchartType,
            ["version"] = 1,
            ["activities"] = new JsonArray(),
            ["connections"] = new JsonArray(),
        },
    });

    /// <summary>Appends an activity and returns it (set its inputs with <see cref="ActivityNode.SetInput"/>).</summary>
    public ActivityNode AddActivity(string id, string type, int version = 1, string? name = null, double x = 0, double y = 0)
    {
        var array = RootArray("activities");
        var json = new JsonObject { ["id"] = id, ["name"] = name ?? id, ["type"] = type, ["version"] = version };
        array.Add(json);
        var node = new ActivityNode(json, array.Count - 1);
        node.SetPosition(x, y);
        return node;
    }

    /// <summary>Appends a connection from <paramref name="source"/>'s <paramref name="port"/> to <paramref name="target"/>'s "In".</summary>
    public void Connect(string source, string target, string port = "Done") => RootArray("connections").Add(FlowConnection.Create(source, port, target));

    /// <summary>Declares a workflow input.</summary>
    public void AddInput(string name, string type, string? description = null, JsonNode? defaultValue = null)
    {
        var input = new JsonObject { ["name"] = name, ["type"] = type, ["displayName"] = name, ["description"] = description ?? "" };
        if (defaultValue is not null) input["defaultValue"] = defaultValue;
        TopArray("inputs").Add(input);
    }

    /// <summary>Declares a workflow variable with its initial value.</summary>
    public void AddVariable(string name, string typeName, JsonNode? value) =>
        TopArray("variables").Add(new JsonObject { ["id"] = name, ["name"] = name, ["typeName"] = typeName, ["isArray"] = false, ["value"] = value });

    private JsonArray RootArray(string key)
    {
        var root = Root ?? throw new InvalidOperationException("The definition has no root flowchart.");
        if (root[key] is not JsonArray array) root[key] = array = new JsonArray();
        return array;
    }

    private JsonArray TopArray(string key)
    {
        if (Json[key] is not JsonArray array) Json[key] = array = new JsonArray();
        return array;
    }
}
