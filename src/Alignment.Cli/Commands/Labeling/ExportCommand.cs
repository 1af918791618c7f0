using System.CommandLine;
using Alignment.Data.ImportExport;
using Alignment.Data.Projects;

namespace Alignment.Cli.Commands.Labeling;

/// <summary>`align export --project NAME --format trl|kto|csv --output FILE`.</summary>
public static class ExportCommand
{
    public static Command Create()
    {
        var project = new Option<string>("--project") { Description = "The project to export.", Required = true, HelpName = "NAME" };
        var format = new Option<string>("--format")
        {
            Description = "trl: preference JSONL {prompt, chosen, rejected, margin}, one row per comparison (majority; adjudications and gold answers win); " +
                          "kto: unpaired JSONL {prompt, completion, label}; csv: every judgment, superseded ones included.",
            Required = true,
        };
        format.AcceptOnlyFromAmong("trl", "kto", "csv");
        var output = new Option<FileInfo>("--output") { Description = "The file to write (atomically: a temp file, then renamed).", Required = true, HelpName = "FILE" };
        var home = LabelingCommands.HomeOption();
        var storeOption = LabelingCommands.StoreOption();
        var command = new Command("export", "Export a project's judgments for training (TRL preference or KTO JSONL) or for analysis (CSV).")
        {
            project, format, output, home, storeOption,
        };
        command.SetAction(LabelingCommands.Action((parse, stdout) =>
        {
            var store = LabelingCommands.OpenStore(parse, home, storeOption);
            var target = new ProjectService(store).GetByName(parse.GetValue(project)!);
            var path = parse.GetValue(output)!.FullName;
            switch (parse.GetValue(format))
            {
                case "csv":
                    var rows = new JudgmentCsvExporter(store).ExportFile(target.Id, path);
                    stdout.WriteLine($"Wrote {rows} judgments to {path}.");
                    break;
                case "kto":
                    var temp = path + ".preferences.tmp";
                    try
                    {
                        var k = new PreferenceExporter(store).ExportFile(target.Id, temp, new PreferenceExportOptions(KtoPath: path));
                        stdout.WriteLine($"Wrote {k.KtoRows} KTO rows to {path} ({k.Pairs} preferred pairs, {k.Ties} ties, {k.BothBad} both bad; " +
                                         $"{k.Split} split and {k.Unjudged} unjudged comparisons left out).");
                    }
                    finally
                    {
                        File.Delete(temp);
                    }
                    break;
                default:
                    var r = new PreferenceExporter(store).ExportFile(target.Id, path);
                    stdout.WriteLine($"Wrote {r.Pairs} preference pairs to {path} (left out: {r.Ties} ties, {r.BothBad} both bad, " +
                                     $"{r.Split} split, {r.Unjudged} unjudged; {r.Adjudicated} settled by an admin, {r.Gold} gold).");
                    break;
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
