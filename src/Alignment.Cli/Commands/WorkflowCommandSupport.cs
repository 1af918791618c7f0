using System.CommandLine;
using Alignment.Data;
using Alignment.Workflows;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Execution;

namespace Alignment.Cli.Commands;

/// <summary>Exit codes of the workflow commands beyond <see cref="ExitCodes"/>.</summary>
public static class WorkflowExitCodes
{
    /// <summary>The instance is suspended, waiting on a bookmark (human judgments); `align resume ID` continues it.</summary>
    public const int Suspended = 4;
    /// <summary>The instance was cancelled.</summary>
    public const int Cancelled = 5;
}

/// <summary>Shared pieces of the workflow commands: the --home option, the engine, error handling.</summary>
internal static class WorkflowCommandSupport
{
    public static Option<string?> HomeOption() => new("--home")
    {
        Description = $"Home folder with align.db and artifacts/. Default: ${AlignHome.EnvironmentVariable} if set, else ./{AlignHome.DefaultFolderName}.",
        HelpName = "DIR",
    };

    public static Option<bool> JsonOption(string what) => new("--json") { Description = $"Print {what} as JSON (snake_case keys) and nothing else on stdout." };

    public static WorkflowEngine Engine(CommandContext ctx, Option<string?> home, IWorkflowObserver? observer = null) =>
        new(AlignHome.Resolve(ctx.Parse.GetValue(home)), ActivityRegistry.CreateDefault(), new WorkflowEngineOptions { Observer = observer ?? NullObserver.Instance });

    public static int ExitCode(RunResult result) => result.Status switch
    {
        InstanceStatus.Finished => ExitCodes.Ok,
        InstanceStatus.Suspended => WorkflowExitCodes.Suspended,
        InstanceStatus.Cancelled => WorkflowExitCodes.Cancelled,
        _ => ExitCodes.Failure,
    };

    /// <summary>Prints run events as plain lines: <c>[activity] what happened</c>.</summary>
    public sealed class LineObserver(TextWriter output) : IWorkflowObserver
    {
        private readonly Lock _lock = new();

        public void OnEvent(WorkflowEvent e)
        {
            if (e.Kind == WorkflowEventKind.Progress) return;
            string label = e.ActivityName is { Length: > 0 } name && name != e.ActivityId ? $"{e.ActivityId} ({name})" : e.ActivityId;
            string text = e.Kind switch
            {
                WorkflowEventKind.Log => $"    {e.Message}",
                WorkflowEventKind.Flow => $"  {e.Message}",
                _ => $"{e.Kind.ToString().ToLowerInvariant()}: {e.Message}",
            };
            lock (_lock)
            {
                output.WriteLine($"[{label}] {text}");
                output.Flush();
            }
        }
    }
}
