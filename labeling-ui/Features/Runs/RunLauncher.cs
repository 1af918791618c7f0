using System.Collections.Concurrent;
using Alignment.Workflows;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Features.Runs;

/// <summary>
/// Runs workflow instances in the background of the web app — new runs started from the designer and resumes from the
/// runs dashboard — and cancels them, through the same engine and lease rules as <c>align run</c> / <c>align resume</c>
/// / <c>align cancel</c>: a run that another live process holds is refused, a dead process's lease is taken over. A
/// run started here keeps going after the request returns; stopping the app cancels it at the next safe point
/// (<c>align resume ID</c> continues it later). The outcome of the last run per instance is kept for the run page.
/// </summary>
public sealed class RunLauncher(WorkflowEngine engine, IHostApplicationLifetime lifetime, ILogger<RunLauncher> log) : IDisposable
{
    private readonly ConcurrentDictionary<string, Task<RunResult?>> _running = new();
    private readonly ConcurrentDictionary<string, string> _outcomes = new();
    private readonly CancellationTokenSource _stopping = CancellationTokenSource.CreateLinkedTokenSource(lifetime.ApplicationStopping);

    /// <summary>Whether this process is running the instance now.</summary>
    public bool IsRunningHere(string instanceId) => _running.TryGetValue(instanceId, out var task) && !task.IsCompleted;

    /// <summary>The background run of an instance started here (its result, or null when it threw), or null when none was started.</summary>
    public Task<RunResult?>? Running(string instanceId) => _running.GetValueOrDefault(instanceId);

    /// <summary>How the last run started from this app ended (null when none ended yet).</summary>
    public string? LastOutcome(string instanceId) => _outcomes.GetValueOrDefault(instanceId);

    /// <summary>Runs a freshly created instance (<see cref="WorkflowEngine"/>.Start) in the background.</summary>
    public void Run(string instanceId) => Launch(instanceId, token => engine.RunAsync(instanceId, token));

    /// <summary>
    /// Starts resuming an instance in the background. Throws <see cref="WorkflowStateException"/> at once when it
    /// finished, was cancelled, or is held by a live process (this one included).
    /// </summary>
    public void Resume(string idOrPrefix)
    {
        var id = engine.Repository.ResolveId(idOrPrefix);
        var info = engine.Repository.Get(id);
        if (info.Status is InstanceStatus.Finished or InstanceStatus.Cancelled)
            throw new WorkflowStateException($"instance {id} is {info.Status.ToString().ToLowerInvariant()}; there is nothing to resume (start a new run: unchanged stages come from the cache)");
        if (IsRunningHere(id) || InstanceLease.IsHeld(engine.Db, id))
            throw new WorkflowStateException($"instance {id} is being run by a live process; wait for it, or cancel it first");
        Launch(id, token => engine.ResumeAsync(id, token));
    }

    private void Launch(string id, Func<CancellationToken, Task<RunResult>> run)
    {
        _outcomes.TryRemove(id, out _);
        _running[id] = Task.Run(async () =>
        {
            try
            {
                var result = await run(_stopping.Token);
                _outcomes[id] = $"{result.Status.ToString().ToLowerInvariant()}: {FirstLine(result.Message)}";
                log.LogInformation("workflow instance {Instance} stopped: {Status}", id, result.Status);
                return result;
            }
            catch (WorkflowException e)
            {
                _outcomes[id] = $"not run: {e.Message}";
                return null;
            }
            catch (Exception e)
            {
                log.LogError(e, "Running workflow instance {Instance} failed", id);
                _outcomes[id] = "failed: the server's log has the error";
                return null;
            }
        });
    }

    /// <summary>Asks an instance to stop (at once when no live process runs it); true when it is cancelled already.</summary>
    public bool Cancel(string idOrPrefix) => engine.Cancel(idOrPrefix);

    private static string FirstLine(string text) => text.Split('\n', 2)[0];

    /// <summary>Stops runs started here at their next safe point.</summary>
    public void Dispose()
    {
        _stopping.Cancel();
        try { Task.WaitAll(_running.Values.ToArray(), TimeSpan.FromSeconds(30)); }
        catch (AggregateException) { }
        _stopping.Dispose();
    }
}
