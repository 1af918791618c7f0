using System.CommandLine;
using Alignment.Cli.Commands.Labeling;
using Alignment.Data;
using Alignment.Data.Store;
using Alignment.Workflows;

namespace Alignment.Cli.Commands;

/// <summary>`align store copy --to postgresql://… [--from sqlite:PATH]`: moves a home's data into a shared PostgreSQL database.</summary>
public static class StoreCommand
{
    public static Command Create()
    {
        var command = new Command("store", "Manage where the data lives (see `align store copy --help`).");
        command.Subcommands.Add(CreateCopy());
        return command;
    }

    private static Command CreateCopy()
    {
        var from = new Option<string?>("--from")
        {
            Description = "The SQLite store to read: sqlite:PATH. Default: align.db in the home folder (--home, else $ALIGN_HOME, else ./.align).",
            HelpName = "sqlite:PATH",
        };
        var to = new Option<string>("--to")
        {
            Description = "The PostgreSQL database to fill: postgresql://USER[:PASSWORD]@HOST[:PORT]/DATABASE. It must exist (createdb) and hold no data.",
            HelpName = "URL",
            Required = true,
        };
        var home = LabelingCommands.HomeOption();
        var copy = new Command("copy",
            "Copy every table of the labeling store and the workflow engine (projects, annotators, judgments, sign-in keys, " +
            "workflow runs, the artifact index and lineage, stored definitions) from a home's SQLite file into an empty " +
            "PostgreSQL database, ids kept, in one transaction (a failure leaves the target empty). The source is not changed " +
            "beyond bringing its schema up to date. Artifact files stay in the home's artifacts/ folder: share that folder with " +
            "every machine that uses the database. Then point --store or ALIGN_STORE at the database.") { from, to, home };
        copy.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var source = StoreLocation.Parse(parse.GetValue(from) ?? "sqlite:" + AlignHome.DatabasePath(parse.GetValue(home)));
            var target = StoreLocation.Parse(parse.GetValue(to)!);
            var copied = StoreCopy.Copy(source, target, [Migrator.Data, EngineMigrations.Set],
                table => output.WriteLine($"  {table.Table}: {table.Rows:N0} row{(table.Rows == 1 ? "" : "s")}"));
            output.WriteLine($"copied {copied.Sum(t => t.Rows):N0} rows in {copied.Count} tables from {source.Display} to {target.Display}; " +
                             $"use it with --store {target.Display} or {AlignHome.StoreEnvironmentVariable}.");
            return ExitCodes.Ok;
        }));
        return copy;
    }
}
