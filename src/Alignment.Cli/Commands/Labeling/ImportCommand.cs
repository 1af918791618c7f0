using System.CommandLine;
using Alignment.Cli.Runtime;
using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Data.Projects;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align import FILE --project NAME --kind prompts|responses|pairs [--pair all|random]`.</summary>
public static class ImportCommand
{
    public static Command Create()
    {
        var file = new Argument<FileInfo>("FILE") { Description = "A .jsonl or .csv file (format by extension)." };
        var project = new Option<string>("--project") { Description = "The project to import into.", Required = true, HelpName = "NAME" };
        var kind = new Option<string>("--kind")
        {
            Description = "prompts: {\"prompt\"}; responses: {\"prompt\",\"response\",\"model\"?}; pairs: {\"prompt\",\"response_a\",\"response_b\",\"model_a\"?,\"model_b\"?,\"gold\"?}.",
            Required = true,
        };
        kind.AcceptOnlyFromAmong("prompts", "responses", "pairs");
        var pair = new Option<string?>("--pair")
        {
            Description = "After importing responses, pair them into comparisons: all (every pair per prompt) or random (--pairs-per-prompt per prompt).",
            HelpName = "all|random",
        };
        pair.AcceptOnlyFromAmong("all", "random");
        var perPrompt = new Option<int>("--pairs-per-prompt") { Description = "K for --pair random.", DefaultValueFactory = _ => 1, HelpName = "K" };
        var seed = new Option<int>("--seed") { Description = "Seed for --pair (which pairs, which answer is A).", DefaultValueFactory = _ => 0 };
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("import",
            "Import prompts, responses or ready pairs into a project, in one transaction: a bad row stops the import with " +
            "its file, line and field, and nothing is written. Rows already present are counted, not duplicated.")
        {
            file, project, kind, pair, perPrompt, seed, home, storeOption,
        };
        command.SetAction(LabelingCommands.Action((parse, output) =>
        {
            var path = parse.GetValue(file)!;
            if (Directory.Exists(path.FullName))
                throw new UsageException($"{path.FullName} is a folder; give the .jsonl or .csv file to import.");
            if (!path.Exists)
                throw new UsageException($"{path.FullName} does not exist.");
            var store = LabelingCommands.OpenStore(parse, home, storeOption);
            var target = new ProjectService(store).GetByName(parse.GetValue(project)!);
            var importKind = parse.GetValue(kind) switch
            {
                "prompts" => ImportKind.Prompts,
                "responses" => ImportKind.Responses,
                _ => ImportKind.Pairs,
            };
            var r = new ImportService(store).ImportFile(target.Id, importKind, path.FullName);
            output.WriteLine($"Imported {path.Name} into '{target.Name}': {r.Rows} rows → {r.PromptsCreated} new prompts, " +
                             $"{r.ResponsesCreated} new responses, {r.ComparisonsCreated} new comparisons ({r.Duplicates} already present).");
            if (parse.GetValue(pair) is { } mode)
            {
                if (importKind != ImportKind.Responses)
                    throw new InvalidRequestException("--pair applies to --kind responses only (pairs are already comparisons).");
                var created = new PairingService(store).CreateComparisons(target.Id, new PairingOptions(
                    mode == "random" ? PairingMode.RandomPairs : PairingMode.AllPairs, parse.GetValue(perPrompt), parse.GetValue(seed), SkipSameModel: true));
                output.WriteLine($"Paired responses: {created} new comparisons.");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
