using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Alignment.Data.Store;
using Dapper;
using System.Data.Common;

namespace Alignment.Workflows.Execution;

/// <summary>The SQL behind instances, executions, bookmarks and the stage cache (tables of this project's migration 0001).</summary>
public sealed class InstanceRepository(AlignStore db)
{
    private const string InstanceColumns =
        "id, definition_id, definition_version, definition_name, definition_path, status, error, cancel_requested, lease_owner, " +
        "lease_expires_at, created_at, updated_at, finished_at, inputs_json, force";

    private const string ExecutionColumns =
        "id, activity_id, activity_name, activity_type, activity_version, iteration, status, cache_key, parameters_json, outputs_json, " +
        "attempts, error, log, started_at, finished_at, worker";

    public AlignStore Db => db;

    /// <summary>Inserts a new instance (status running, leased to <paramref name="owner"/>) and returns its id.</summary>
    public string Create(string definitionId, int version, string? name, string definitionJson, string? path, string baseDir,
        string workingDir, JsonObject inputs, bool force, InstanceState state, string owner, DateTimeOffset leaseExpires)
    {
        string id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        db.Write((connection, transaction) => connection.Execute(
            """
            INSERT INTO workflow_instances (id, definition_id, definition_version, definition_name, definition_json, definition_path, base_dir,
                working_dir, inputs_json, force, status, state_json, lease_owner, lease_expires_at, created_at, updated_at)
            VALUES (@id, @definitionId, @version, @name, @definitionJson, @path, @baseDir, @workingDir, @Inputs, @force, 'running', @State,
                @owner, @Expires, @Now, @Now)
            """,
            new
            {
                id, definitionId, version, name, definitionJson, path, baseDir, workingDir, Inputs = inputs.ToJsonString(), force = force ? 1L : 0L,
                State = state.ToJson(), owner, Expires = Timestamps.ToText(leaseExpires), Now = db.NowText(),
            }, transaction));
        return id;
    }

    /// <summary>The full id of an instance given its id or a unique prefix; throws when none or several match.</summary>
    public string ResolveId(string idOrPrefix)
    {
        var prefix = idOrPrefix.Trim().ToLowerInvariant();
        var matches = prefix.Length == 0 ? [] : db.Read(c => c.Query<string>(
            "SELECT id FROM workflow_instances WHERE substr(id, 1, length(@prefix)) = @prefix ORDER BY id LIMIT 2", new { prefix }).ToList());
        return matches.Count switch
        {
            0 => throw new WorkflowNotFoundException($"no workflow instance '{idOrPrefix}' (see `align status` for the list)"),
            1 => matches[0],
            _ => throw new WorkflowNotFoundException($"instance id '{idOrPrefix}' is ambiguous; give more characters"),
        };
    }

    public InstanceInfo Get(string id) => db.Read(c => Get(c, null, id));

    internal static InstanceInfo Get(DbConnection c, DbTransaction? t, string id) =>
        c.QuerySingleOrDefault<InstanceRow>($"SELECT {InstanceColumns} FROM workflow_instances WHERE id = @id", new { id }, t)?.ToInfo()
        ?? throw new WorkflowNotFoundException($"no workflow instance '{id}' (see `align status` for the list)");

    /// <summary>The stored definition, folders and state of an instance.</summary>
    public (string DefinitionJson, string BaseDir, string WorkingDir, InstanceState State) LoadRuntime(string id) => db.Read(c => LoadRuntime(c, null, id));

    /// <summary>The stored definition, folders and state of an instance, read inside <paramref name="t"/>.</summary>
    public (string DefinitionJson, string BaseDir, string WorkingDir, InstanceState State) LoadRuntime(DbConnection c, DbTransaction? t, string id)
    {
        var row = c.QuerySingle<(string DefinitionJson, string BaseDir, string WorkingDir, string StateJson)>(
            "SELECT definition_json, base_dir, working_dir, state_json FROM workflow_instances WHERE id = @id", new { id }, t);
        return (row.DefinitionJson, row.BaseDir, row.WorkingDir, InstanceState.FromJson(row.StateJson));
    }

    /// <summary>The activities of an instance that wait on a bookmark, read inside <paramref name="t"/>.</summary>
    public HashSet<string> BookmarkedActivities(DbConnection c, DbTransaction t, string instanceId) =>
        c.Query<string>("SELECT activity_id FROM workflow_bookmarks WHERE instance_id = @instanceId", new { instanceId }, t).ToHashSet(StringComparer.Ordinal);

    /// <summary>All instances, newest first.</summary>
    public IReadOnlyList<InstanceInfo> List() => db.Read(c =>
        c.Query<InstanceRow>($"SELECT {InstanceColumns} FROM workflow_instances ORDER BY created_at DESC, id").Select(r => r.ToInfo()).ToList());

    public IReadOnlyList<ExecutionInfo> Executions(string instanceId) => db.Read(c =>
        c.Query<ExecutionRow>($"SELECT {ExecutionColumns} FROM workflow_executions WHERE instance_id = @instanceId ORDER BY id", new { instanceId })
            .Select(r => r.ToInfo()).ToList());

    public IReadOnlyList<BookmarkInfo> Bookmarks(string instanceId) => db.Read(c =>
        c.Query<(string ActivityId, string Kind, string PayloadJson, string Message, string CreatedAt)>(
                "SELECT activity_id, kind, payload_json, message, created_at FROM workflow_bookmarks WHERE instance_id = @instanceId ORDER BY activity_id",
                new { instanceId })
            .Select(b => new BookmarkInfo(b.ActivityId, b.Kind, (JsonObject)JsonNode.Parse(b.PayloadJson)!, b.Message, Timestamps.Parse(b.CreatedAt))).ToList());

    /// <summary>Instances suspended on a bookmark of this kind whose payload has <paramref name="key"/> = <paramref name="value"/>.</summary>
    public IReadOnlyList<string> WaitingOn(string kind, string key, string value) => db.Read(c => c.Query<string>(
        $"SELECT instance_id FROM workflow_bookmarks WHERE kind = @kind AND {PayloadField} = @value ORDER BY instance_id",
        new { kind, key, value }).ToList());

    /// <summary>The bookmark payload's text field named by <c>@key</c>, in the store's SQL dialect.</summary>
    private string PayloadField => db.Provider == StoreProvider.PostgreSql
        ? "(payload_json::jsonb ->> @key)"
        : "json_extract(payload_json, '$.' || @key)";

    /// <summary>Every execution's instance, activity and status, in the order they started.</summary>
    public IReadOnlyList<(string InstanceId, string ActivityId, string? ActivityName, ExecutionStatus Status)> ExecutionStatuses() => db.Read(c =>
        c.Query<(string InstanceId, string ActivityId, string? ActivityName, string Status)>(
            "SELECT instance_id, activity_id, activity_name, status FROM workflow_executions ORDER BY id")
        .Select(e => (e.InstanceId, e.ActivityId, e.ActivityName, ExecutionStatusCodes.Parse(e.Status))).ToList());

    /// <summary>Each instance's copy of its definition (id → JSON text).</summary>
    public IReadOnlyDictionary<string, string> DefinitionJsons() => db.Read(c =>
        c.Query<(string Id, string Json)>("SELECT id, definition_json FROM workflow_instances").ToDictionary(r => r.Id, r => r.Json));

    public void SetStatus(DbConnection c, DbTransaction t, string id, InstanceStatus status, string? error, InstanceState? state)
    {
        bool done = status is InstanceStatus.Finished or InstanceStatus.Cancelled;
        c.Execute(
            """
            UPDATE workflow_instances SET status = @Status, error = @error, state_json = COALESCE(@State, state_json), updated_at = @Now,
                finished_at = CASE WHEN @done THEN @Now ELSE NULL END
            WHERE id = @id
            """, new { id, Status = status.ToString().ToLowerInvariant(), error, State = state?.ToJson(), Now = db.NowText(), done }, t);
    }

    public void SaveState(DbConnection c, DbTransaction t, string id, InstanceState state) =>
        c.Execute("UPDATE workflow_instances SET state_json = @State, updated_at = @Now WHERE id = @id",
            new { id, State = state.ToJson(), Now = db.NowText() }, t);

    /// <summary>Opens the execution row of an activity run by <paramref name="worker"/> (<c>host:pid:start</c>; null: not recorded).</summary>
    public long StartExecution(DbConnection c, DbTransaction t, string instanceId, Definitions.ActivityNode node, int iteration, string? worker = null)
    {
        // A stage that suspended runs again in the same row when resumed.
        var suspended = c.ExecuteScalar<long?>(
            """
            SELECT id FROM workflow_executions WHERE instance_id = @instanceId AND activity_id = @Id AND iteration = @iteration AND status = 'suspended'
            ORDER BY id DESC LIMIT 1
            """, new { instanceId, node.Id, iteration }, t);
        if (suspended is long again)
        {
            c.Execute("UPDATE workflow_executions SET status = 'running', worker = @worker WHERE id = @again", new { again, worker }, t);
            return again;
        }
        return c.ExecuteScalar<long>(
            """
            INSERT INTO workflow_executions (instance_id, activity_id, activity_name, activity_type, activity_version, iteration, status, started_at, worker)
            VALUES (@instanceId, @Id, @Name, @Type, @Version, @iteration, 'running', @Now, @worker) RETURNING id
            """, new { instanceId, node.Id, node.Name, node.Type, Version = node.Version ?? 1, iteration, Now = db.NowText(), worker }, t);
    }

    public void FinishExecution(DbConnection c, DbTransaction t, long executionId, ExecutionStatus status, string? cacheKey,
        JsonObject? parameters, JsonObject? outputs, int attempts, string? error, string log) =>
        c.Execute(
            """
            UPDATE workflow_executions SET status = @status, cache_key = @cacheKey, parameters_json = @Parameters, outputs_json = @Outputs,
                attempts = @attempts, error = @error, log = @log, finished_at = CASE WHEN @status = 'suspended' THEN NULL ELSE @Now END
            WHERE id = @executionId
            """,
            new { executionId, status = status.ToCode(), cacheKey, Parameters = parameters?.ToJsonString(), Outputs = outputs?.ToJsonString(), attempts, error, log, Now = db.NowText() }, t);

    /// <summary>Marks executions left 'running' or 'suspended' by a stopped process with <paramref name="status"/>.</summary>
    public void CloseOpenExecutions(DbConnection c, DbTransaction t, string instanceId, ExecutionStatus status, string reason, bool includeSuspended) =>
        c.Execute(
            $"""
            UPDATE workflow_executions SET status = @status, error = @reason, finished_at = @Now
            WHERE instance_id = @instanceId AND (status = 'running'{(includeSuspended ? " OR status = 'suspended'" : "")})
            """, new { instanceId, status = status.ToCode(), reason, Now = db.NowText() }, t);

    public void SetBookmark(DbConnection c, DbTransaction t, string instanceId, string activityId, Activities.Bookmark bookmark) =>
        c.Execute(
            """
            INSERT INTO workflow_bookmarks (instance_id, activity_id, kind, payload_json, message, created_at)
            VALUES (@instanceId, @activityId, @Kind, @Payload, @Message, @Now)
            ON CONFLICT (instance_id, activity_id) DO UPDATE SET kind = excluded.kind, payload_json = excluded.payload_json, message = excluded.message
            """, new { instanceId, activityId, bookmark.Kind, Payload = bookmark.Payload.ToJsonString(), bookmark.Message, Now = db.NowText() }, t);

    public void ClearBookmarks(DbConnection c, DbTransaction t, string instanceId) =>
        c.Execute("DELETE FROM workflow_bookmarks WHERE instance_id = @instanceId", new { instanceId }, t);

    /// <summary>The cached outputs for a cache key, or null.</summary>
    public JsonObject? CachedOutputs(string cacheKey) => db.Read(c =>
        c.ExecuteScalar<string?>("SELECT outputs_json FROM stage_cache WHERE cache_key = @cacheKey", new { cacheKey }) is { } json
            ? JsonNode.Parse(json) as JsonObject : null);

    public void PutCache(DbConnection c, DbTransaction t, string cacheKey, string type, int version, JsonObject outputs, string instanceId, string activityId) =>
        c.Execute(
            """
            INSERT INTO stage_cache (cache_key, stage_type, stage_version, outputs_json, instance_id, activity_id, created_at)
            VALUES (@cacheKey, @type, @version, @Outputs, @instanceId, @activityId, @Now)
            ON CONFLICT (cache_key) DO UPDATE SET outputs_json = excluded.outputs_json, instance_id = excluded.instance_id,
                activity_id = excluded.activity_id, created_at = excluded.created_at
            """, new { cacheKey, type, version, Outputs = outputs.ToJsonString(), instanceId, activityId, Now = db.NowText() }, t);

    private sealed class InstanceRow
    {
        public string Id { get; set; } = "";
        public string DefinitionId { get; set; } = "";
        public long DefinitionVersion { get; set; }
        public string? DefinitionName { get; set; }
        public string? DefinitionPath { get; set; }
        public string Status { get; set; } = "";
        public string? Error { get; set; }
        public long CancelRequested { get; set; }
        public string? LeaseOwner { get; set; }
        public string? LeaseExpiresAt { get; set; }
        public string CreatedAt { get; set; } = "";
        public string UpdatedAt { get; set; } = "";
        public string? FinishedAt { get; set; }
        public string InputsJson { get; set; } = "{}";
        public long Force { get; set; }

        public InstanceInfo ToInfo() => new(Id, DefinitionId, (int)DefinitionVersion, DefinitionName, DefinitionPath,
            Enum.Parse<InstanceStatus>(Status, ignoreCase: true), Error, CancelRequested != 0, LeaseOwner,
            LeaseExpiresAt is null ? null : Timestamps.Parse(LeaseExpiresAt), Timestamps.Parse(CreatedAt), Timestamps.Parse(UpdatedAt),
            FinishedAt is null ? null : Timestamps.Parse(FinishedAt), (JsonObject)JsonNode.Parse(InputsJson)!, Force != 0);
    }

    private sealed class ExecutionRow
    {
        public long Id { get; set; }
        public string ActivityId { get; set; } = "";
        public string? ActivityName { get; set; }
        public string ActivityType { get; set; } = "";
        public long ActivityVersion { get; set; }
        public long Iteration { get; set; }
        public string Status { get; set; } = "";
        public string? CacheKey { get; set; }
        public string? ParametersJson { get; set; }
        public string? OutputsJson { get; set; }
        public long Attempts { get; set; }
        public string? Error { get; set; }
        public string Log { get; set; } = "";
        public string StartedAt { get; set; } = "";
        public string? FinishedAt { get; set; }
        public string? Worker { get; set; }

        public ExecutionInfo ToInfo() => new(Id, ActivityId, ActivityName, ActivityType, (int)ActivityVersion, (int)Iteration, ExecutionStatusCodes.Parse(Status), CacheKey,
            ParametersJson is null ? null : JsonNode.Parse(ParametersJson) as JsonObject,
            OutputsJson is null ? null : JsonNode.Parse(OutputsJson) as JsonObject, (int)Attempts, Error, Log,
            Timestamps.Parse(StartedAt), FinishedAt is null ? null : Timestamps.Parse(FinishedAt), Worker);
    }
}
