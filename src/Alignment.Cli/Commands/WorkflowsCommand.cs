using System.CommandLine;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Definitions;

namespace Alignment.Cli.Commands;

/// <summary>`align workflows validate FILE`, `align workflows activities [--json]`, and the stored definitions: `save FILE`, `list`.</summary>
public static class WorkflowsCommand
{
    public static Command Create(Option<int?> threads)
    {
        var command = new Command("workflows", "Workflow definitions: validate files, list the activity types, save files into the database and list the stored versions.");

        var file = new Argument<string>("FILE") { Description = "Workflow definition (Elsa 3 JSON)." };
        var home = WorkflowCommandSupport.HomeOption();
        var validate = new Command("validate",
            "Check a definition: JSON syntax (line and column), activity types and versions, inputs and their types, references, " +
            "connections and cycles. Prints every error with the activity id and name; exit code 2 when there are any. Warnings " +
            "(a loop with no bounded exit) are printed too but do not fail.") { file, home };
        validate.SetAction(CommandContext.Action(threads, ctx =>
        {
            string path = ctx.Parse.GetValue(file)!;
            var (definition, errors, warnings) = WorkflowCommandSupport.CheckFile(path);
            if (errors.Count == 0)   // then against the store too (artifact hashes given as inputs); a bad file never opens it
            {
                var engine = WorkflowCommandSupport.Engine(ctx, home);
                errors = engine.Validate(definition);
                warnings = engine.Warnings(definition);
            }
            foreach (var w in warnings) ctx.Error.WriteLine($"{path}: warning: {w}");
            if (errors.Count == 0)
            {
                ctx.Out.WriteLine($"{path}: valid ({definition.Activities.Count} activities, {definition.Connections.Count} connections)");
                return ExitCodes.Ok;
            }
            ctx.Error.WriteLine($"{path}: {errors.Count} error{(errors.Count == 1 ? "" : "s")}");
            foreach (var e in errors) ctx.Error.WriteLine($"  {e}");
            return ExitCodes.Failure;
        }));

        var json = WorkflowCommandSupport.JsonOption("the activity metadata (for the designer's toolbox and property panels)");
        var activities = new Command("activities", "The activity types this build runs, with their inputs, outputs and ports.") { json };
        activities.SetAction(CommandContext.Action(threads, ctx =>
        {
            var registry = ActivityRegistry.CreateDefault();
            var all = registry.All.Select(a => a.Descriptor).ToList();
            if (ctx.Parse.GetValue(json)) ctx.WriteJson(ActivityCatalog.Describe(registry));
            else
                foreach (var d in all)
                {
                    ctx.Out.WriteLine($"{d.Type} v{d.Version} [{d.Category}] {d.Description}");
                    foreach (var i in d.Inputs)
                        ctx.Out.WriteLine($"    in  {i.Name}: {(i.Type == InputType.Artifact ? $"artifact<{i.ArtifactKind?.ToCode()}>" : i.Type.ToString())}" +
                                          $"{(i.Required ? " (required)" : i.Default is null ? "" : $" = {i.Default.ToJsonString()}")} — {i.Description}");
                    foreach (var o in d.Outputs)
                        ctx.Out.WriteLine($"    out {o.Name}: {(o.Type == OutputType.Artifact ? $"artifact<{o.ArtifactKind?.ToCode()}>" : o.Type.ToString())} — {o.Description}");
                }
            return ExitCodes.Ok;
        }));

        command.Subcommands.Add(validate);
        command.Subcommands.Add(activities);
        command.Subcommands.Add(WorkflowStoreCommands.Save(threads));
        command.Subcommands.Add(WorkflowStoreCommands.List(threads));
        return command;
    }
}
