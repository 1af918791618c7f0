using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Alignment.Workflows.Reporting;

namespace Alignment.Cli.Commands;

/// <summary>`align report ID`: where the evaluation reports of a workflow instance (or one report artifact) are, with their win rates.</summary>
public static class ReportCommand
{
    public static Command Create(Option<int?> threads)
    {
        var id = new Argument<string>("ID")
        {
            Description = "A workflow instance id (or unique prefix): every evaluation report of that instance; or a report artifact's sha256 or unique prefix.",
        };
        var json = WorkflowCommandSupport.JsonOption("{instance, reports: [{stage, iteration, artifact, path, folder, win_rate, ...}]}");
        var home = WorkflowCommandSupport.HomeOption();
        var command = new Command("report",
            "Show where the evaluation reports (report.md with charts: win rate, answer lengths, training curves, examples) of a workflow instance are.")
        {
            id, json, home,
        };
        command.SetAction(CommandContext.Action(threads, ctx =>
        {
            var listing = ReportLocator.Find(WorkflowCommandSupport.Engine(ctx, home), ctx.Parse.GetValue(id)!);
            if (ctx.Parse.GetValue(json)) ctx.WriteJson(new { listing.Instance, Reports = listing.Reports.Select(View).ToList() });
            else Render(ctx.Out, listing);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static object View(ReportEntry r) => new
    {
        r.Stage,
        r.Iteration,
        r.Artifact,
        Path = r.Markdown,
        r.Folder,
        r.ExistsOnDisk,
        Judge = Text(r.Summary["judge"]),
        Prompts = Number(r.Summary["prompts"]),
        WinRate = Number(r.Summary["win_rate"]),
        WinRateLow = Number(r.Summary["win_rate_low"]),
        WinRateHigh = Number(r.Summary["win_rate_high"]),
        MeanLength = Number(r.Summary["mean_length"]),
        BaselineMeanLength = Number(r.Summary["baseline_mean_length"]),
        Kl = Number(r.Summary["kl"]),
        Charts = r.Summary["charts"] is JsonArray charts ? charts.Select(c => Text(c)).OfType<string>().Select(c => Path.Combine(r.Folder, c)).ToList() : [],
    };

    private static void Render(TextWriter output, ReportListing listing)
    {
        output.WriteLine($"instance {listing.Instance}");
        foreach (var r in listing.Reports)
        {
            string stage = r.Iteration > 1 ? $"{r.Stage} (iteration {r.Iteration})" : r.Stage;
            output.WriteLine($"{stage}: {r.Markdown}{(r.ExistsOnDisk ? "" : "  (MISSING from disk: rerun the instance's workflow to recompute it)")}");
            if (Number(r.Summary["win_rate"]) is { } rate)
                output.WriteLine($"  win rate {Percent(rate)} (95% interval {Percent(Number(r.Summary["win_rate_low"]))} – {Percent(Number(r.Summary["win_rate_high"]))})" +
                                 $" over {Text(r.Summary["prompts"]) ?? "?"} prompts, judge {Text(r.Summary["judge"]) ?? "?"}");
        }
    }

    private static double? Number(JsonNode? node) => JsonNumber.Of(node);

    private static string? Text(JsonNode? node) => node is JsonValue v ? v.ToString() : null;

    private static string Percent(double? share) => share is { } s ? (s * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : "?";
}
