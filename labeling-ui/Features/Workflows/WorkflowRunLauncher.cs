using System.Collections.Concurrent;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Features.Workflows;

/// <summary>
/// Starts runs of stored definitions inside the web server: the instance is created (validated, inputs checked) before
/// <see cref="Start"/> returns its id, then the engine runs it on a background task. Progress lives in the instance
/// tables (the runs dashboard reads them); a run cut short when the server stops is continued by <c>align resume ID</c>.
/// </summary>
public sealed class WorkflowRunLauncher(WorkflowEngine engine, ILogger<WorkflowRunLauncher> log)
{
    private readonly ConcurrentDictionary<string, Task<RunResult>> _running = new(StringComparer.Ordinal);

    /// <summary>
    /// Creates an instance of <paramref name="stored"/> and starts running it; relative file paths resolve against the
    /// definition's source folder (its file's folder when imported), else the home folder.
    /// </summary>
    public string Start(StoredDefinition stored, IReadOnlyDictionary<string, string> inputs, bool force)
    {
        var info = stored.Info;
        var id = engine.Start(stored.Definition, $"{info.DefinitionId} version {info.Version}", null, info.SourceDir ?? engine.Home, inputs, force);
        _running[id] = Task.Run(() => RunAsync(id));
        return id;
    }

    /// <summary>The background run of an instance started here, or null when none is in flight.</summary>
    public Task<RunResult>? Running(string instanceId) => _running.GetValueOrDefault(instanceId);

    private async Task<RunResult> RunAsync(string id)
    {
        try
        {
            var result = await engine.RunAsync(id);
            log.LogInformation("workflow instance {Id} stopped: {Status}", id, result.Status);
            return result;
        }
        catch (Exception e)
        {
            log.LogError(e, "workflow instance {Id} stopped with an error", id);
            throw;
        }
        finally
        {
            _running.TryRemove(id, out _);
        }
    }
}
