using System.Text.Json.Serialization;

namespace Alignment.Workflows.Execution;

/// <summary>
/// How one run of one activity stands. Stored in <c>workflow_executions.status</c> and written to JSON as its lowercase
/// code (<see cref="ExecutionStatusCodes.ToCode"/>): running, completed, cached, suspended, faulted, cancelled, interrupted.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<ExecutionStatus>))]
public enum ExecutionStatus
{
    /// <summary>Running now, or left so by a process that stopped (until the next run marks it interrupted).</summary>
    [JsonStringEnumMemberName("running")]
    Running,
    /// <summary>Ran to the end; its outputs are set.</summary>
    [JsonStringEnumMemberName("completed")]
    Completed,
    /// <summary>Took the outputs of an identical earlier run from the stage cache.</summary>
    [JsonStringEnumMemberName("cached")]
    Cached,
    /// <summary>Waits on a bookmark; a resume runs it again in the same row.</summary>
    [JsonStringEnumMemberName("suspended")]
    Suspended,
    /// <summary>Failed (not transiently, or out of retries).</summary>
    [JsonStringEnumMemberName("faulted")]
    Faulted,
    /// <summary>Stopped by a cancel request.</summary>
    [JsonStringEnumMemberName("cancelled")]
    Cancelled,
    /// <summary>The process running it stopped before it finished.</summary>
    [JsonStringEnumMemberName("interrupted")]
    Interrupted,
}

/// <summary>The stored text of an <see cref="ExecutionStatus"/> and back.</summary>
public static class ExecutionStatusCodes
{
    /// <summary>The lowercase code stored in the database and written to JSON ("completed").</summary>
    public static string ToCode(this ExecutionStatus status) => status switch
    {
        ExecutionStatus.Running => "running",
        ExecutionStatus.Completed => "completed",
        ExecutionStatus.Cached => "cached",
        ExecutionStatus.Suspended => "suspended",
        ExecutionStatus.Faulted => "faulted",
        ExecutionStatus.Cancelled => "cancelled",
        ExecutionStatus.Interrupted => "interrupted",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    /// <summary>The status of a stored code; throws for an unknown one.</summary>
    public static ExecutionStatus Parse(string code)
    {
        foreach (var status in Enum.GetValues<ExecutionStatus>())
            if (status.ToCode() == code) return status;
        throw new WorkflowException($"unknown execution status '{code}'");
    }

    /// <summary>Whether the run produced its outputs (ran to the end, or came from the cache).</summary>
    public static bool HasOutputs(this ExecutionStatus status) => status is ExecutionStatus.Completed or ExecutionStatus.Cached;
}
