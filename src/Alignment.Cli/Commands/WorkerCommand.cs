using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Alignment.Cli.Runtime;
using Alignment.Data;
using Alignment.Data.Store;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Execution.Jobs;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align worker --store postgresql://… [--slots N] [--takeover SECONDS] [--home DIR]`: runs the stages that
/// `align run --workers` hands to the job engine (Hangfire on the store's PostgreSQL database), N at a time, until
/// Ctrl+C or SIGTERM. Every worker of one store must see the same home folder (the artifacts).
/// </summary>
public static class WorkerCommand
{
    public static Command Create(Option<int?> threads)
    {
        var store = new Option<string?>("--store")
        {
            Description = $"The PostgreSQL store holding the workflow tables and the job queue: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE. " +
                          $"Default: ${AlignHome.StoreEnvironmentVariable}.",
            HelpName = "URL",
        };
        var slots = new Option<int>("--slots") { Description = "How many stages this worker runs at once (default 1).", HelpName = "N", DefaultValueFactory = _ => 1 };
        var takeover = new Option<int>("--takeover")
        {
            Description = "Seconds after which a stage of a worker that stopped answering (killed, machine gone) is taken over by another worker " +
                          "(default 30; a live worker keeps its stages however long they run). Give every worker of a store the same value.",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 30,
        };
        var home = WorkflowCommandSupport.HomeOption();
        home.Description = "Home folder whose artifacts/ holds the artifacts; every worker and `align run` of one store must share it " +
                           $"(a network file system across machines). Default: ${AlignHome.EnvironmentVariable} if set, else ./{AlignHome.DefaultFolderName}.";
        var command = new Command("worker",
            "Run workflow stages handed out through the job engine on a PostgreSQL store (`align run FILE --workers`), until Ctrl+C. " +
            "Several workers on any machines share the stages: a fork's branches run at once, and a stage of a worker that dies is " +
            "taken over by another.")
        {
            store, slots, takeover, home,
        };
        command.SetAction(CommandContext.Action(threads, ctx =>
        {
            int n = ctx.Parse.GetValue(slots);
            if (n < 1) throw new UsageException($"--slots must be at least 1, got {n}");
            int seconds = ctx.Parse.GetValue(takeover);
            if (seconds < 1) throw new UsageException($"--takeover must be at least 1 second, got {seconds}");
            var location = WorkflowCommandSupport.WorkerStore(ctx.Parse.GetValue(store));
            var engine = new WorkflowEngine(AlignHome.Resolve(ctx.Parse.GetValue(home)), ActivityRegistry.CreateDefault(), new WorkflowEngineOptions
            {
                Store = location, Observer = new WorkflowCommandSupport.LineObserver(ctx.Out), TakeoverAfter = TimeSpan.FromSeconds(seconds),
            });
            using var stopped = new ManualResetEventSlim();
            using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, s => { s.Cancel = true; stopped.Set(); });
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, s => { s.Cancel = true; stopped.Set(); });
            using (engine.Jobs.StartServer(engine, n))
            {
                ctx.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"worker {engine.Options.Owner}: {n} slot{(n == 1 ? "" : "s")} on {engine.Db.Location.Display}, artifacts in {engine.Artifacts.Root}; Ctrl+C stops"));
                ctx.Out.Flush();
                stopped.Wait();
                ctx.Out.WriteLine("stopping: stages still running go back to the queue for another worker");
                ctx.Out.Flush();
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
