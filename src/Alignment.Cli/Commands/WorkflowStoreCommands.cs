using System.CommandLine;
using System.Globalization;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Validation;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align workflows save FILE` (stores the file as a new version of its definition in align.db, where the web designer
/// opens it) and `align workflows list [--json]` (the stored definitions and versions).
/// </summary>
internal static class WorkflowStoreCommands
{
    public static Command Save(Option<int?> threads)
    {
        var file = new Argument<string>("FILE") { Description = "Workflow definition (Elsa 3 JSON)." };
        var home = WorkflowCommandSupport.HomeOption();
        var save = new Command("save",
            "Store a definition file as a new version (max + 1) of its definitionId in the database; older versions stay. " +
            "Relative paths in it keep resolving against the file's folder. A definition with validation errors is stored " +
            "as a draft (listed with its error count) and the errors are printed; exit code 2 then.") { file, home };
        save.SetAction(CommandContext.Action(threads, ctx =>
        {
            var engine = WorkflowCommandSupport.Engine(ctx, home);
            var library = new DefinitionLibrary(new DefinitionRepository(engine.Db), new WorkflowValidator(engine.Registry, engine.Artifacts));
            var result = library.Import(ctx.Parse.GetValue(file)!, "cli");
            var info = result.Stored.Info;
            ctx.Out.WriteLine($"saved {info.DefinitionId} version {info.Version} ({result.Stored.Definition.Activities.Count} activities, " +
                              $"{result.Stored.Definition.Connections.Count} connections)");
            if (result.Errors.Count == 0) return ExitCodes.Ok;
            ctx.Error.WriteLine($"saved as a draft with {result.Errors.Count} validation error{(result.Errors.Count == 1 ? "" : "s")}:");
            foreach (var e in result.Errors) ctx.Error.WriteLine($"  {e}");
            return ExitCodes.Failure;
        }));
        return save;
    }

    public static Command List(Option<int?> threads)
    {
        var home = WorkflowCommandSupport.HomeOption();
        var json = WorkflowCommandSupport.JsonOption("the stored versions");
        var list = new Command("list", "The workflow definitions stored in the database, every version, newest first.") { home, json };
        list.SetAction(CommandContext.Action(threads, ctx =>
        {
            var engine = WorkflowCommandSupport.Engine(ctx, home);
            var versions = new DefinitionRepository(engine.Db).List();
            if (ctx.Parse.GetValue(json))
            {
                ctx.WriteJson(versions);
                return ExitCodes.Ok;
            }
            if (versions.Count == 0) ctx.Out.WriteLine("no stored workflow definitions (align workflows save FILE, or /workflows in the web app)");
            foreach (var v in versions)
                ctx.Out.WriteLine($"{v.DefinitionId} v{v.Version}{(v.IsLatest ? " (latest)" : "")}  {v.Name}  " +
                                  $"{(v.ErrorCount == 0 ? "valid" : $"draft, {v.ErrorCount} error{(v.ErrorCount == 1 ? "" : "s")}")}  " +
                                  $"{v.CreatedAt.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} by {v.CreatedBy}");
            return ExitCodes.Ok;
        }));
        return list;
    }
}
