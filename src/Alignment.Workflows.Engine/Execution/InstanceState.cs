using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Workflows.Execution;

/// <summary>
/// The scheduler state of an instance, stored as JSON with the instance and rewritten at every activity boundary:
/// the queue of scheduled activities (the head is the one running or next), the arrivals at each join, the
/// variables, the latest outputs of every activity, and how often each activity has completed.
/// </summary>
public sealed class InstanceState
{
    private static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    /// <summary>Scheduled activity ids, in order; the head runs next (or is running, or is suspended or faulted).</summary>
    public List<string> Queue { get; set; } = [];

    /// <summary>For each FlowJoin: the inbound connections (<c>source:port</c>) that have arrived in the current round.</summary>
    public Dictionary<string, List<string>> Joins { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Variable values by name.</summary>
    public Dictionary<string, JsonNode?> Variables { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Latest outputs by activity id, then output name (artifact hashes or values).</summary>
    public Dictionary<string, Dictionary<string, JsonNode?>> Outputs { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Completed runs per activity id.</summary>
    public Dictionary<string, int> Iterations { get; set; } = new(StringComparer.Ordinal);

    /// <summary>The execution row of the activity at the head of the queue while it runs (null between activities).</summary>
    public long? CurrentExecution { get; set; }

    /// <summary>True when the instance's stages run as jobs of <c>align worker</c> processes instead of in one process.</summary>
    public bool Workers { get; set; }

    /// <summary>With <see cref="Workers"/>: each queued activity handed to the job engine, with the token its job carries.</summary>
    public Dictionary<string, string> Dispatched { get; set; } = new(StringComparer.Ordinal);

    /// <summary>With <see cref="Workers"/>: the execution row of each activity a worker is running now.</summary>
    public Dictionary<string, long> Running { get; set; } = new(StringComparer.Ordinal);

    public string ToJson() => JsonSerializer.Serialize(this, Options);

    public static InstanceState FromJson(string json) =>
        JsonSerializer.Deserialize<InstanceState>(json, Options) ?? throw new WorkflowException("the instance state is empty");
}
