using System.CommandLine;
using Alignment.Data;
using Alignment.Data.Store;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>
/// The labeling commands (`serve`, `annotators`, `projects`, `import`, `export`) and what they share: the --home option
/// and an action wrapper that prints the store's errors as one line and exit code 2. None of them loads libtorch.
/// </summary>
public static class LabelingCommands
{
    /// <summary>Adds the labeling commands to the root command.</summary>
    public static void AddTo(RootCommand root)
    {
        root.Subcommands.Add(ServeCommand.Create());
        root.Subcommands.Add(AnnotatorsCommand.Create());
        root.Subcommands.Add(ProjectsCommand.Create());
        root.Subcommands.Add(ImportCommand.Create());
        root.Subcommands.Add(ExportCommand.Create());
    }

    /// <summary>A fresh --home option (each command owns its own instance).</summary>
    public static Option<string?> HomeOption() => new("--home")
    {
        Description = $"Folder holding align.db (created if missing). Default: ${AlignHome.EnvironmentVariable} if set, else ./{AlignHome.DefaultFolderName}.",
        HelpName = "DIR",
    };

    /// <summary>Opens the store in the home folder the option names.</summary>
    public static AlignStore OpenStore(ParseResult parse, Option<string?> home) => AlignStore.OpenHome(parse.GetValue(home));

    /// <summary>Wraps a command body; its errors (bad input, unknown project, duplicate name, a newer database) become exit codes in <see cref="AlignApp.Run"/>.</summary>
    public static Func<ParseResult, int> Action(Func<ParseResult, TextWriter, int> body) => parse => body(parse, parse.InvocationConfiguration.Output);
}
