using Alignment.LabelingUi.Features.Runs;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.LabelingUi.Features.Workflows;

/// <summary>
/// Starts runs of stored definitions inside the web server: the instance is created (validated, inputs checked) before
/// <see cref="Start"/> returns its id, then <see cref="RunLauncher"/> runs it in the background (the same launcher the
/// runs dashboard resumes with). Progress lives in the instance tables; a run cut short when the server stops is
/// continued by <c>align resume ID</c>.
/// </summary>
public sealed class WorkflowRunLauncher(WorkflowEngine engine, RunLauncher launcher)
{
    /// <summary>
    /// Creates an instance of <paramref name="stored"/> and starts running it; relative file paths resolve against the
    /// definition's source folder (its file's folder when imported), else the home folder.
    /// </summary>
    public string Start(StoredDefinition stored, IReadOnlyDictionary<string, string> inputs, bool force)
    {
        var info = stored.Info;
        var id = engine.Start(stored.Definition, $"{info.DefinitionId} version {info.Version}", null, info.SourceDir ?? engine.Home, inputs, force);
        launcher.Run(id);
        return id;
    }

    /// <summary>The background run of an instance started here, or null when none was started.</summary>
    public Task<RunResult?>? Running(string instanceId) => launcher.Running(instanceId);
}
