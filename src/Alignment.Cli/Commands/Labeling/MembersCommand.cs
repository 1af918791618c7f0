using System.CommandLine;
using Alignment.Data.Annotators;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Store;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align projects members add|remove PROJECT ANNOTATOR` and `align projects members list PROJECT`.</summary>
public static class MembersCommand
{
    public static Command Create()
    {
        var command = new Command("members",
            "Who may see and label a project: annotators see only the projects they are members of (admins see all). " +
            "New projects start with no members.");
        command.Subcommands.Add(Change("add", "Make an annotator a member of a project.", (members, project, annotator) =>
            members.Add(project.Id, annotator.Id)
                ? $"'{annotator.Name}' is now a member of '{project.Name}'."
                : $"'{annotator.Name}' was already a member of '{project.Name}'."));
        command.Subcommands.Add(Change("remove", "Remove an annotator from a project; the items they hold there go back to the pool.",
            (members, project, annotator) =>
                members.Remove(project.Id, annotator.Id)
                    ? $"'{annotator.Name}' is no longer a member of '{project.Name}'."
                    : $"'{annotator.Name}' was not a member of '{project.Name}'."));
        command.Subcommands.Add(CreateList());
        return command;
    }

    /// <summary>Adds the named accounts to the project (for `projects create --member` and the demo); unknown names fail.</summary>
    public static void AddAll(AlignStore store, Project project, IEnumerable<string> names, TextWriter output)
    {
        var members = new ProjectMembers(store);
        var annotators = new AnnotatorService(store);
        foreach (var name in names)
        {
            var annotator = Find(annotators, name);
            members.Add(project.Id, annotator.Id);
            output.WriteLine($"'{annotator.Name}' is a member of '{project.Name}'.");
        }
    }

    private static Command Change(string verb, string description, Func<ProjectMembers, Project, Annotator, string> change)
    {
        var project = new Argument<string>("PROJECT") { Description = "Project name." };
        var annotator = new Argument<string>("ANNOTATOR") { Description = "Account name (see `align annotators list`)." };
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command(verb, description) { project, annotator, home, storeOption };
        command.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var store = LabelingCommands.OpenStore(parse, home, storeOption);
            var found = new ProjectService(store).GetByName(parse.GetValue(project)!.Trim());
            output.WriteLine(change(new ProjectMembers(store), found, Find(new AnnotatorService(store), parse.GetValue(annotator)!)));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateList()
    {
        var project = new Argument<string>("PROJECT") { Description = "Project name." };
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("list", "List a project's members.") { project, home, storeOption };
        command.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var store = LabelingCommands.OpenStore(parse, home, storeOption);
            var found = new ProjectService(store).GetByName(parse.GetValue(project)!.Trim());
            var members = new ProjectMembers(store).List(found.Id);
            if (members.Count == 0)
            {
                output.WriteLine($"'{found.Name}' has no members; add one with: align projects members add \"{found.Name}\" NAME");
                return ExitCodes.Ok;
            }
            AnnotatorsCommand.WriteTable(output, members);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Annotator Find(AnnotatorService annotators, string name) =>
        annotators.Find(name.Trim()) ?? throw new InvalidRequestException($"There is no annotator named '{name.Trim()}' (see `align annotators list`).");
}
