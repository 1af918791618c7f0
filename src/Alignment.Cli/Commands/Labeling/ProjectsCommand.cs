using System.CommandLine;
using System.Globalization;
using Alignment.Data.Labeling;
using Alignment.Data.Projects;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align projects create NAME [--overlap K] [--guidelines FILE] [--member NAME]...`, `align projects list` and `align projects members`.</summary>
public static class ProjectsCommand
{
    public static Command Create()
    {
        var command = new Command("projects", "Manage labeling projects: create one (name, overlap k, guidelines) or list them with their progress.");
        command.Subcommands.Add(CreateCreate());
        command.Subcommands.Add(CreateList());
        command.Subcommands.Add(MembersCommand.Create());
        return command;
    }

    private static Command CreateCreate()
    {
        var name = new Argument<string>("NAME") { Description = "Unique project name." };
        var overlap = new Option<int>("--overlap") { Description = "How many different annotators judge each comparison (k).", DefaultValueFactory = _ => 1, HelpName = "K" };
        var guidelines = new Option<FileInfo?>("--guidelines") { Description = "Markdown file with the guidelines shown to annotators.", HelpName = "FILE" };
        var strengthMax = new Option<int>("--strength-max") { Description = "Largest strength on the −N..N scale (0 asks for none).", DefaultValueFactory = _ => 3, HelpName = "N" };
        var goldRate = new Option<double>("--gold-rate") { Description = "Fraction of gold (known-answer) items mixed into each queue.", DefaultValueFactory = _ => 0.1, HelpName = "R" };
        var lease = new Option<int>("--lease-minutes") { Description = "How long an item stays reserved for its annotator.", DefaultValueFactory = _ => 30, HelpName = "M" };
        var aspects = new Option<bool>("--aspects") { Description = "Also ask for helpful / harmless / honest ratings (1–5)." };
        var member = new Option<string[]>("--member")
        {
            Description = "An annotator account to make a member (repeat it). New projects start with no members: annotators see only " +
                          "projects they are members of; admins see all.",
            HelpName = "NAME",
        };
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("create", "Create a labeling project.") { name, overlap, guidelines, strengthMax, goldRate, lease, aspects, member, home, storeOption };
        command.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var file = parse.GetValue(guidelines);
            if (file is { Exists: false })
                throw new IOException($"guidelines file {file.FullName} does not exist.");
            var store = LabelingCommands.OpenStore(parse, home, storeOption);
            var names = parse.GetValue(member) ?? [];
            var annotators = new Data.Annotators.AnnotatorService(store);
            // Every named account must exist before anything is written.
            foreach (var n in names.Where(n => annotators.Find(n.Trim()) is null))
                throw new Data.Model.InvalidRequestException($"--member: there is no annotator named '{n.Trim()}' (see `align annotators list`).");
            var project = new ProjectService(store).Create(new ProjectSettings(
                parse.GetValue(name)!.Trim(), file is null ? "" : Alignment.Tokenizers.Utf8Text.ReadAllText(file.FullName), parse.GetValue(overlap),
                parse.GetValue(strengthMax), parse.GetValue(aspects), parse.GetValue(goldRate), parse.GetValue(lease)));
            output.WriteLine($"Created project '{project.Name}' (id {project.Id}, overlap k = {project.OverlapK}). " +
                             $"Next: align import FILE --project \"{project.Name}\" --kind pairs");
            MembersCommand.AddAll(store, project, names, output);
            if (names.Length == 0)
                output.WriteLine($"It has no members yet: add annotators with align projects members add \"{project.Name}\" NAME");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateList()
    {
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("list", "List projects with overlap k, comparisons and overall progress.") { home, storeOption };
        command.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var store = LabelingCommands.OpenStore(parse, home, storeOption);
            var projects = new ProjectService(store).List();
            if (projects.Count == 0)
            {
                output.WriteLine("No projects yet. Create one with: align projects create NAME --overlap 2");
                return ExitCodes.Ok;
            }
            var queue = new QueueService(store);
            var width = Math.Max(7, projects.Max(p => p.Name.Length));
            output.WriteLine($"{"project".PadRight(width)}  {"k",3}  {"comparisons",11}  {"complete",8}  done");
            foreach (var p in projects)
            {
                var progress = queue.Progress(p.Id, annotatorId: 0);
                output.WriteLine($"{p.Name.PadRight(width)}  {p.OverlapK,3}  {progress.Comparisons,11}  {progress.CompletedComparisons,8}  " +
                                 progress.Fraction.ToString("P0", CultureInfo.InvariantCulture));
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
