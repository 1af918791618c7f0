using System.CommandLine;
using Alignment.Data.Annotators;
using Alignment.Data.Model;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align annotators add NAME --role admin|annotator` (prints the login token once) and `align annotators list`.</summary>
public static class AnnotatorsCommand
{
    public static Command Create()
    {
        var command = new Command("annotators", "Manage the people who label: add an account (its login token is printed once) or list accounts.");
        command.Subcommands.Add(CreateAdd());
        command.Subcommands.Add(CreateList());
        return command;
    }

    private static Command CreateAdd()
    {
        var name = new Argument<string>("NAME") { Description = "Unique account name (1 to 100 characters)." };
        var role = new Option<string>("--role")
        {
            Description = "admin (manages projects, people, statistics; can also label) or annotator (labels only).",
            DefaultValueFactory = _ => "annotator",
        };
        role.AcceptOnlyFromAmong("admin", "annotator");
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("add", "Create an account and print its login token. The token is shown this once; only its SHA-256 is stored.")
        {
            name, role, home, storeOption,
        };
        command.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var issued = new AnnotatorService(LabelingCommands.OpenStore(parse, home, storeOption))
                .Create(parse.GetValue(name)!.Trim(), AnnotatorRoleCodes.Parse(parse.GetValue(role)!));
            output.WriteLine($"Created {issued.Annotator.Role.ToCode()} '{issued.Annotator.Name}' (id {issued.Annotator.Id}).");
            output.WriteLine("Login token (shown once; give it to them privately, they paste it on the sign-in page or send it as 'Authorization: Bearer <token>'):");
            output.WriteLine(issued.Token);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command CreateList()
    {
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("list", "List accounts: name, role, active or disabled, created. Tokens are never shown.") { home, storeOption };
        command.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var all = new AnnotatorService(LabelingCommands.OpenStore(parse, home, storeOption)).List();
            if (all.Count == 0)
            {
                output.WriteLine("No accounts yet. Create the first admin with: align annotators add NAME --role admin");
                return ExitCodes.Ok;
            }
            WriteTable(output, all);
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Prints accounts as a table: name, role, active or disabled, created (for `annotators list` and `projects members list`).</summary>
    internal static void WriteTable(TextWriter output, IReadOnlyList<Annotator> accounts)
    {
        var width = Math.Max(4, accounts.Max(a => a.Name.Length));
        output.WriteLine($"{"name".PadRight(width)}  role       status    created");
        foreach (var a in accounts)
            output.WriteLine($"{a.Name.PadRight(width)}  {a.Role.ToCode(),-9}  {(a.IsActive ? "active" : "disabled"),-8}  {a.CreatedAt:yyyy-MM-dd}");
    }
}
