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

    /// <summary>A fresh --store option (each command owns its own instance).</summary>
    public static Option<string?> StoreOption() => new("--store")
    {
        Description = $"The store: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE (shared by several servers) or sqlite:PATH. " +
                      $"Default: ${AlignHome.StoreEnvironmentVariable} if set, else align.db in the home folder.",
        HelpName = "URL",
    };

    /// <summary>Opens the store the options name: --store, else <c>ALIGN_STORE</c>, else <c>align.db</c> in --home.</summary>
    public static AlignStore OpenStore(ParseResult parse, Option<string?> home, Option<string?> store) =>
        AlignStore.OpenHome(parse.GetValue(home), explicitStore: parse.GetValue(store));

    /// <summary>Wraps a command body; its errors (bad input, unknown project, duplicate name, a newer database) become exit codes in <see cref="AlignApp.Run"/>.</summary>
    public static Func<ParseResult, int> Action(Func<ParseResult, TextWriter, int> body) => parse => body(parse, parse.InvocationConfiguration.Output);
}
