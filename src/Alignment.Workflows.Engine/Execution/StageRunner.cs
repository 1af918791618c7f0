using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;
using Polly;
using Polly.Retry;

namespace Alignment.Workflows.Execution;

/// <summary>How one stage run ended.</summary>
internal sealed record StageOutcome(ExecutionStatus Status, JsonObject? Outputs, Bookmark? Bookmark, string? Error, string Log, int Attempts,
    string? CacheKey, JsonObject? Parameters);

/// <summary>
/// Runs one stage: resolves its inputs, computes its cache key, reuses a cached result whose artifacts are all still on
/// disk (unless forced or the activity says <c>cache: false</c>), else runs it with retries of transient failures
/// (Polly, exponential backoff: <c>customProperties.retry</c> = <c>{"maxAttempts": 3, "delayMs": 1000}</c> by default).
/// </summary>
internal sealed class StageRunner(WorkflowEngine engine, string instanceId, bool force, IWorkflowObserver observer)
{
    public const int DefaultMaxAttempts = 3;
    public const int DefaultDelayMs = 1000;

    public async Task<StageOutcome> RunAsync(ActivityNode node, IStageActivity stage, int iteration, ValueResolver resolver, CancellationToken cancellation)
    {
        var log = new StringBuilder();
        void Log(string line)
        {
            log.Append(DateTime.UtcNow.ToString("HH:mm:ss", CultureInfo.InvariantCulture)).Append(' ').Append(line).Append('\n');
            observer.OnEvent(new WorkflowEvent(WorkflowEventKind.Log, instanceId, node.Id!, node.Name, node.Type, line));
        }

        var descriptor = stage.Descriptor;
        Dictionary<string, object?> values;
        JsonObject parameters;
        IReadOnlyList<ArtifactInput> inputs;
        string key;
        try
        {
            values = descriptor.Inputs.ToDictionary(i => i.Name, i => resolver.ResolveInput(node, i));
            parameters = CacheKey.Parameters(descriptor, values);
            inputs = CacheKey.Inputs(descriptor, values);
            key = CacheKey.Compute(descriptor, parameters, inputs);
        }
        catch (Exception e) when (e is WorkflowException or IOException)
        {
            return new StageOutcome(ExecutionStatus.Faulted, null, null, e.Message, log.ToString(), 0, null, null);
        }

        if (!force && node.CacheEnabled && engine.Repository.CachedOutputs(key) is { } cached)
        {
            var missing = cached.Where(o => descriptor.FindOutput(o.Key)?.Type == OutputType.Artifact && !engine.Artifacts.ExistsOnDisk((string)o.Value!))
                .Select(o => o.Key).ToList();
            if (missing.Count == 0)
            {
                Log($"cache hit {key[..12]}: reusing the outputs of an identical earlier run");
                return new StageOutcome(ExecutionStatus.Cached, cached, null, null, log.ToString(), 0, key, parameters);
            }
            Log($"cache entry {key[..12]} found, but its artifact{(missing.Count == 1 ? "" : "s")} {string.Join(", ", missing)} left the store: running again");
        }

        var provenance = new ArtifactProvenance(new ArtifactProducer(instanceId, node.Id!, descriptor.Type, descriptor.Version), null, parameters, inputs);
        var (maxAttempts, delayMs) = RetrySettings(node);
        var builder = new ResiliencePipelineBuilder();
        if (maxAttempts > 1) builder.AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<TransientStageException>(),
            MaxRetryAttempts = Math.Max(0, maxAttempts - 1),
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(delayMs),
            UseJitter = false,
            OnRetry = args =>
            {
                string message = $"transient failure (attempt {args.AttemptNumber + 1} of {maxAttempts}): {args.Outcome.Exception?.Message}; retrying in {args.RetryDelay.TotalSeconds:0.###} s";
                Log(message);
                observer.OnEvent(new WorkflowEvent(WorkflowEventKind.Retrying, instanceId, node.Id!, node.Name, node.Type, message));
                return ValueTask.CompletedTask;
            },
        });
        var pipeline = builder.Build();

        int attempts = 0;
        StageContext? context = null;
        try
        {
            var result = await pipeline.ExecuteAsync(async token =>
            {
                attempts++;
                context = new StageContext(instanceId, node.Id!, node.Name ?? node.Id!, descriptor, iteration, attempts, key,
                    new StageInputs(values), engine.Db, engine.Artifacts, engine.Home, token, provenance, Log,
                    (fraction, message) => observer.OnEvent(new WorkflowEvent(WorkflowEventKind.Progress, instanceId, node.Id!, node.Name, node.Type,
                        $"{fraction:P0}{(message is null ? "" : " " + message)}")));
                return await stage.ExecuteAsync(context);
            }, cancellation);

            var outputs = new JsonObject(context!.Outputs.Select(o => KeyValuePair.Create(o.Key, o.Value?.DeepClone())));
            if (result.Bookmark is { } bookmark)
                return new StageOutcome(ExecutionStatus.Suspended, outputs, bookmark, null, log.ToString(), attempts, key, parameters);
            var unset = descriptor.Outputs.Where(o => !o.Optional && !context.Outputs.ContainsKey(o.Name)).Select(o => o.Name).ToList();
            if (unset.Count > 0)
                return new StageOutcome(ExecutionStatus.Faulted, outputs, null, $"{descriptor.Type} finished without setting output{(unset.Count == 1 ? "" : "s")} {string.Join(", ", unset)}",
                    log.ToString(), attempts, key, parameters);
            return new StageOutcome(ExecutionStatus.Completed, outputs, null, null, log.ToString(), attempts, key, parameters);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            Log("cancelled");
            return new StageOutcome(ExecutionStatus.Cancelled, null, null, "cancelled", log.ToString(), attempts, key, parameters);
        }
        catch (Exception e)
        {
            bool userFacing = engine.Registry.IsUserFacing(e);
            string error = userFacing ? e.Message : $"{e.GetType().Name}: {e.Message}";
            if (e is TransientStageException) error = $"transient failure persisted after {attempts} attempt{(attempts == 1 ? "" : "s")}: {error}";
            Log($"failed: {error}");
            if (!userFacing) log.Append(e.StackTrace).Append('\n');
            return new StageOutcome(ExecutionStatus.Faulted, null, null, error, log.ToString(), attempts, key, parameters);
        }
    }

    private static (int MaxAttempts, int DelayMs) RetrySettings(ActivityNode node)
    {
        var retry = node.RetryOptions;
        int max = JsonAccess.Int(retry?["maxAttempts"]) is int m and >= 1 ? m : DefaultMaxAttempts;
        int delay = JsonAccess.Int(retry?["delayMs"]) is int d and >= 0 ? d : DefaultDelayMs;
        return (max, delay);
    }
}
