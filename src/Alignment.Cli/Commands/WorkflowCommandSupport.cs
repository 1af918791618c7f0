using System.CommandLine;
using Alignment.Cli.Runtime;
using Alignment.Data;
using Alignment.Workflows;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Validation;

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

    public static WorkflowEngine Engine(CommandContext ctx, Option<string?> home, IWorkflowObserver? observer = null, Option<string?>? store = null) =>
        new(AlignHome.Resolve(ctx.Parse.GetValue(home)), ActivityRegistry.CreateDefault(), new WorkflowEngineOptions
        {
            Observer = observer ?? NullObserver.Instance, Store = store is null ? null : ctx.Parse.GetValue(store),
        });

    /// <summary>
    /// Parses a definition file and checks it against the activity types alone, before any store is opened, so a file
    /// that does not parse or names unknown activities, inputs or connections is refused without creating
    /// <c>align.db</c> in the home folder. What needs the store (artifact hashes given as inputs) is checked when the
    /// engine validates it again.
    /// </summary>
    public static (WorkflowDefinition Definition, IReadOnlyList<ValidationError> Errors, IReadOnlyList<ValidationError> Warnings) CheckFile(string path)
    {
        var definition = DefinitionSerializer.Load(Path.GetFullPath(path));
        var validator = new WorkflowValidator(ActivityRegistry.CreateDefault());
        return (definition, validator.Validate(definition), validator.Warnings(definition));
    }

    /// <summary>A fresh --store option for the workflow commands.</summary>
    public static Option<string?> StoreOption() => new("--store")
    {
        Description = $"The store holding the workflow tables: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE or sqlite:PATH. " +
                      $"Default: ${AlignHome.StoreEnvironmentVariable} if set, else align.db in the home folder.",
        HelpName = "URL",
    };

    /// <summary>
    /// The store `align worker` (and `align run --workers`) uses: <paramref name="given"/>, else <c>ALIGN_STORE</c>; it
    /// must be PostgreSQL (the job engine keeps its queue there). Checked before anything is opened or written.
    /// </summary>
    public static string WorkerStore(string? given)
    {
        var text = given ?? Environment.GetEnvironmentVariable(AlignHome.StoreEnvironmentVariable);
        if (string.IsNullOrWhiteSpace(text))
            throw new UsageException($"workers need a PostgreSQL store: give --store postgresql://USER@HOST:PORT/DATABASE or set {AlignHome.StoreEnvironmentVariable}");
        var location = Alignment.Data.Store.StoreLocation.Parse(text);
        if (location.Provider != Alignment.Data.Store.StoreProvider.PostgreSql)
            throw new UsageException($"workers need a PostgreSQL store (postgresql://USER@HOST:PORT/DATABASE): the job engine keeps its queue in it; {location.Display} is SQLite");
        return text;
    }

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
