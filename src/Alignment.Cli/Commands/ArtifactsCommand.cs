using System.CommandLine;
using System.Globalization;
using Alignment.Workflows.Artifacts;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>`align artifacts list|show ID|lineage ID`.</summary>
public static class ArtifactsCommand
{
    public static Command Create(Option<int?> threads)
    {
        var command = new Command("artifacts", "Content-addressed artifacts (<home>/artifacts/<sha256>) with producer, parameters and lineage.");
        var listJson = WorkflowCommandSupport.JsonOption("the artifacts");
        var listHome = WorkflowCommandSupport.HomeOption();
        var list = new Command("list", "Every artifact, newest first.") { listJson, listHome };
        list.SetAction(CommandContext.Action(threads, ctx =>
        {
            var records = WorkflowCommandSupport.Engine(ctx, listHome).Artifacts.List();
            if (ctx.Parse.GetValue(listJson)) ctx.WriteJson(records.Select(View).ToList());
            else RenderList(ctx.Console, records);
            return ExitCodes.Ok;
        }));

        var showId = new Argument<string>("ID") { Description = "sha256 or a unique prefix (at least 4 digits)." };
        var showJson = WorkflowCommandSupport.JsonOption("the artifact");
        var showHome = WorkflowCommandSupport.HomeOption();
        var show = new Command("show", "One artifact: kind, size, path, producer, parameters and inputs.") { showId, showJson, showHome };
        show.SetAction(CommandContext.Action(threads, ctx =>
        {
            var store = WorkflowCommandSupport.Engine(ctx, showHome).Artifacts;
            var record = store.Get(ctx.Parse.GetValue(showId)!);
            if (ctx.Parse.GetValue(showJson)) ctx.WriteJson(View(record));
            else Render(ctx.Console, record, store.UsedBy(record.Hash));
            return ExitCodes.Ok;
        }));

        var lineageId = new Argument<string>("ID") { Description = "sha256 or a unique prefix." };
        var lineageJson = WorkflowCommandSupport.JsonOption("the lineage");
        var lineageHome = WorkflowCommandSupport.HomeOption();
        var lineage = new Command("lineage", "The artifact and everything it was made from, upstream to the imported files.") { lineageId, lineageJson, lineageHome };
        lineage.SetAction(CommandContext.Action(threads, ctx =>
        {
            var entries = WorkflowCommandSupport.Engine(ctx, lineageHome).Artifacts.Lineage(ctx.Parse.GetValue(lineageId)!);
            if (ctx.Parse.GetValue(lineageJson))
                ctx.WriteJson(entries.Select(e => new { e.Depth, via_input = e.ViaInput, artifact = View(e.Artifact) }).ToList());
            else
                foreach (var e in entries)
                    ctx.Out.WriteLine($"{new string(' ', 2 * e.Depth)}{(e.ViaInput is null ? "" : e.ViaInput + " <- ")}{e.Artifact.Hash[..12]} {e.Artifact.Kind.ToCode()}" +
                                      $" by {Producer(e.Artifact)}{(e.Artifact.ExistsOnDisk ? "" : " (MISSING from disk)")}");
            return ExitCodes.Ok;
        }));

        command.Subcommands.Add(list);
        command.Subcommands.Add(show);
        command.Subcommands.Add(lineage);
        return command;
    }

    /// <summary>The JSON shape of an artifact.</summary>
    private static object View(ArtifactRecord r) => new
    {
        r.Hash,
        Kind = r.Kind.ToCode(),
        r.IsFolder,
        r.SizeBytes,
        r.Path,
        r.ExistsOnDisk,
        r.CreatedAt,
        Producer = r.Provenance.Producer,
        r.Provenance.OutputName,
        r.Provenance.Parameters,
        r.Provenance.Inputs,
    };

    private static string Producer(ArtifactRecord r) => r.Provenance.Producer is { } p
        ? $"{p.StageType} v{p.StageVersion} (instance {p.InstanceId}, activity {p.ActivityId}{(r.Provenance.OutputName is { } o ? $", output {o}" : "")})"
        : "hand";

    private static void RenderList(IAnsiConsole console, IReadOnlyList<ArtifactRecord> records)
    {
        if (records.Count == 0)
        {
            console.WriteLine("no artifacts yet");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in new[] { "hash", "kind", "bytes", "producer", "on disk" }) table.AddColumn(c);
        foreach (var r in records)
            table.AddRow(r.Hash[..12], r.Kind.ToCode(), r.SizeBytes.ToString(CultureInfo.InvariantCulture), Markup.Escape(Producer(r)), r.ExistsOnDisk ? "yes" : "MISSING");
        console.Write(table);
    }

    private static void Render(IAnsiConsole console, ArtifactRecord r, IReadOnlyList<string> usedBy)
    {
        console.WriteLine($"artifact {r.Hash}");
        console.WriteLine($"  kind {r.Kind.ToCode()}, {(r.IsFolder ? "folder" : "file")}, {r.SizeBytes} bytes, created {r.CreatedAt:u}");
        console.WriteLine($"  path {r.Path}{(r.ExistsOnDisk ? "" : " (MISSING: deleted from disk; the next run recomputes it)")}");
        console.WriteLine($"  produced by {Producer(r)}");
        console.WriteLine($"  parameters {r.Provenance.Parameters.ToJsonString()}");
        foreach (var input in r.Provenance.Inputs) console.WriteLine($"  input {input.Name} <- {input.Hash}");
        foreach (var consumer in usedBy) console.WriteLine($"  used by {consumer}");
    }
}
