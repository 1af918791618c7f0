using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Alignment.Workflows.Execution;

/// <summary>Where an instance stands (JSON: lowercase names).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<InstanceStatus>))]
public enum InstanceStatus
{
    /// <summary>Running now, or stopped by a crash (its lease then runs out or names a dead process).</summary>
    [JsonStringEnumMemberName("running")]
    Running,
    /// <summary>Waiting on a bookmark (human judgments); <c>align resume</c> checks again.</summary>
    [JsonStringEnumMemberName("suspended")]
    Suspended,
    /// <summary>Every scheduled activity completed.</summary>
    [JsonStringEnumMemberName("finished")]
    Finished,
    /// <summary>A stage failed (not transiently, or out of retries); <c>align resume</c> retries from that stage.</summary>
    [JsonStringEnumMemberName("faulted")]
    Faulted,
    /// <summary>Stopped by <c>align cancel</c>.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
}

/// <summary>An instance row (without its state JSON).</summary>
public sealed record InstanceInfo(
    string Id,
    string DefinitionId,
    int DefinitionVersion,
    string? DefinitionName,
    string? DefinitionPath,
    InstanceStatus Status,
    string? Error,
    bool CancelRequested,
    string? LeaseOwner,
    DateTimeOffset? LeaseExpiresAt,
    DateTimeOffset CreatedAt,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? FinishedAt,
    JsonObject Inputs,
    bool Force);

/// <summary>One run of one activity in an instance; <paramref name="Worker"/> is the process that ran it (<c>host:pid:start</c>).</summary>
public sealed record ExecutionInfo(
    long Id,
    string ActivityId,
    string? ActivityName,
    string ActivityType,
    int ActivityVersion,
    int Iteration,
    ExecutionStatus Status,
    string? CacheKey,
    JsonObject? Parameters,
    JsonObject? Outputs,
    int Attempts,
    string? Error,
    string Log,
    DateTimeOffset StartedAt,
    DateTimeOffset? FinishedAt,
    string? Worker = null)
{
    /// <summary>Seconds from start to finish (null while running).</summary>
    public double? DurationSeconds => FinishedAt is { } f ? Math.Round((f - StartedAt).TotalSeconds, 3) : null;
}

/// <summary>What a suspended instance waits for.</summary>
public sealed record BookmarkInfo(string ActivityId, string Kind, JsonObject Payload, string Message, DateTimeOffset CreatedAt);

/// <summary>An instance with its executions and bookmarks, for <c>align status ID</c>.</summary>
public sealed record InstanceDetail(InstanceInfo Instance, IReadOnlyList<ExecutionInfo> Executions, IReadOnlyList<BookmarkInfo> Bookmarks);

/// <summary>How a run call ended.</summary>
/// <param name="InstanceId">The instance.</param>
/// <param name="Status">Finished, Suspended, Faulted or Cancelled.</param>
/// <param name="Message">The error, the bookmark message, or a summary.</param>
public sealed record RunResult(string InstanceId, InstanceStatus Status, string Message);
