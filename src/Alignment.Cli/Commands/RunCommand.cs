using System.CommandLine;
using Alignment.Workflows;
using Alignment.Workflows.Execution;

namespace Alignment.Cli.Commands;

/// <summary>`align run FILE` and `align resume ID`: start or continue a workflow instance.</summary>
public static class RunCommand
{
    public static Command Create(Option<int?> threads)
    {
        var file = new Argument<string>("FILE") { Description = "Workflow definition (Elsa 3 JSON), e.g. workflows/labeling-roundtrip.json." };
        var inputs = new Option<string[]>("--input")
        {
            Description = "A workflow input as NAME=VALUE; repeat for several. Relative paths resolve against the current folder.",
            HelpName = "NAME=VALUE",
        };
        var force = new Option<bool>("--force") { Description = "Run every stage even when an identical earlier run is in the cache." };
        var maxSteps = new Option<int?>("--max-steps")
        {
            Description = $"Step budget: the most activity executions the instance may run, loops included, before it faults " +
                          $"(default: the definition's customProperties.maxSteps, else {Alignment.Workflows.Definitions.WorkflowDefinition.DefaultMaxSteps}).",
            HelpName = "N",
        };
        var workers = new Option<bool>("--workers")
        {
            Description = "Hand the stages to `align worker` processes through the job engine of the PostgreSQL store (--store or ALIGN_STORE) " +
                          "instead of running them here; a fork's branches run at once on free workers. Waits for the end and prints who ran each stage.",
        };
        var store = WorkflowCommandSupport.StoreOption();
        var home = WorkflowCommandSupport.HomeOption();
        var command = new Command("run",
            "Validate and run a workflow definition. Prints the instance id first, then one line per event. Exit codes: 0 finished, " +
            $"2 failed, {WorkflowExitCodes.Suspended} suspended (waiting for judgments: `align resume ID` later), {WorkflowExitCodes.Cancelled} cancelled.")
        {
            file, inputs, force, maxSteps, workers, store, home,
        };
        command.SetAction(CommandContext.Action(threads, ctx =>
        {
            var values = ParseInputs(ctx.Parse.GetValue(inputs) ?? []);
            bool onWorkers = ctx.Parse.GetValue(workers);
            if (onWorkers) WorkflowCommandSupport.WorkerStore(ctx.Parse.GetValue(store));
            string path = ctx.Parse.GetValue(file)!;
            // A bad file is refused before the store is opened (no align.db left behind).
            if (WorkflowCommandSupport.CheckFile(path).Errors is { Count: > 0 } errors) throw new Alignment.Workflows.Validation.WorkflowValidationException(path, errors);
            var engine = WorkflowCommandSupport.Engine(ctx, home, new WorkflowCommandSupport.LineObserver(ctx.Out), store);
            string id = engine.Start(path, values, ctx.Parse.GetValue(force), ctx.Parse.GetValue(maxSteps));
            ctx.Out.WriteLine(id);
            ctx.Out.Flush();
            return Report(ctx, (onWorkers ? engine.RunOnWorkersAsync(id) : engine.RunAsync(id)).GetAwaiter().GetResult());
        }));
        return command;
    }

    public static Command CreateResume(Option<int?> threads)
    {
        var id = new Argument<string>("ID") { Description = "Instance id (or a unique prefix), as printed by `align run`." };
        var store = WorkflowCommandSupport.StoreOption();
        var home = WorkflowCommandSupport.HomeOption();
        var command = new Command("resume",
            "Continue an instance: a suspended one checks its bookmark again (are the judgments in?), a faulted one retries the failed " +
            "stage, one whose process died resumes where it stopped; an instance run with --workers goes back to the workers. Same exit codes as `align run`.")
        {
            id, store, home,
        };
        command.SetAction(CommandContext.Action(threads, ctx =>
        {
            var engine = WorkflowCommandSupport.Engine(ctx, home, new WorkflowCommandSupport.LineObserver(ctx.Out), store);
            return Report(ctx, engine.ResumeAsync(ctx.Parse.GetValue(id)!).GetAwaiter().GetResult());
        }));
        return command;
    }

    /// <summary>Parses NAME=VALUE pairs; a repeated name or a missing '=' is an error.</summary>
    internal static Dictionary<string, string> ParseInputs(IEnumerable<string> pairs)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in pairs)
        {
            int eq = pair.IndexOf('=');
            if (eq <= 0) throw new WorkflowException($"--input '{pair}': expected NAME=VALUE");
            if (!values.TryAdd(pair[..eq], pair[(eq + 1)..])) throw new WorkflowException($"--input {pair[..eq]} is given twice");
        }
        return values;
    }

    private static int Report(CommandContext ctx, RunResult result)
    {
        switch (result.Status)
        {
            case InstanceStatus.Finished:
                ctx.Out.WriteLine($"instance {result.InstanceId} finished (see `align status {result.InstanceId}`)");
                break;
            case InstanceStatus.Suspended:
                ctx.Out.WriteLine($"instance {result.InstanceId} suspended: {result.Message}; continue with `align resume {result.InstanceId}`");
                break;
            case InstanceStatus.Cancelled:
                ctx.Out.WriteLine($"instance {result.InstanceId} cancelled");
                break;
            default:
                ctx.Error.WriteLine($"error: instance {result.InstanceId} faulted: {result.Message}");
                ctx.Error.WriteLine($"fix the cause, then `align resume {result.InstanceId}` retries from the failed stage");
                break;
        }
        return WorkflowCommandSupport.ExitCode(result);
    }
}
