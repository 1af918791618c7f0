using System.CommandLine;
using System.Globalization;
using Alignment.Workflows;
using Alignment.Workflows.Execution;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>`align status [ID]` and `align cancel ID`.</summary>
public static class StatusCommand
{
    public static Command Create(Option<int?> threads)
    {
        var id = new Argument<string?>("ID") { Description = "Instance id or unique prefix; without it, every instance is listed.", Arity = ArgumentArity.ZeroOrOne };
        var json = WorkflowCommandSupport.JsonOption("the instance (or the list)");
        var home = WorkflowCommandSupport.HomeOption();
        var command = new Command("status", "Show workflow instances, or one instance's stages with status, durations and artifacts.") { id, json, home };
        command.SetAction(CommandContext.Action(threads, ctx =>
        {
            var engine = WorkflowCommandSupport.Engine(ctx, home);
            bool asJson = ctx.Parse.GetValue(json);
            if (ctx.Parse.GetValue(id) is not { } wanted)
            {
                var list = engine.Repository.List();
                if (asJson) ctx.WriteJson(list);
                else RenderList(ctx.Console, list);
                return ExitCodes.Ok;
            }
            var detail = engine.Detail(wanted);
            if (asJson) ctx.WriteJson(detail);
            else RenderDetail(ctx.Console, detail);
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command CreateCancel(Option<int?> threads)
    {
        var id = new Argument<string>("ID") { Description = "Instance id or unique prefix." };
        var home = WorkflowCommandSupport.HomeOption();
        var command = new Command("cancel", "Stop an instance at its next safe point (at once when no process is running it).") { id, home };
        command.SetAction(CommandContext.Action(threads, ctx =>
        {
            var engine = WorkflowCommandSupport.Engine(ctx, home);
            string full = engine.Repository.ResolveId(ctx.Parse.GetValue(id)!);
            ctx.Out.WriteLine(engine.Cancel(full)
                ? $"instance {full} cancelled"
                : $"cancel requested: the process running instance {full} stops at its next safe point");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void RenderList(IAnsiConsole console, IReadOnlyList<InstanceInfo> list)
    {
        if (list.Count == 0)
        {
            console.WriteLine("no workflow instances (start one with `align run FILE`)");
            return;
        }
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in new[] { "id", "workflow", "version", "status", "created", "updated" }) table.AddColumn(c);
        foreach (var i in list)
            table.AddRow(i.Id, Markup.Escape(i.DefinitionName ?? i.DefinitionId), i.DefinitionVersion.ToString(CultureInfo.InvariantCulture),
                i.Status.ToString().ToLowerInvariant(), Time(i.CreatedAt), Time(i.UpdatedAt));
        console.Write(table);
    }

    private static void RenderDetail(IAnsiConsole console, InstanceDetail d)
    {
        var i = d.Instance;
        console.WriteLine($"instance {i.Id}: {i.DefinitionName ?? i.DefinitionId} (definition {i.DefinitionId} v{i.DefinitionVersion}), {i.Status.ToString().ToLowerInvariant()}");
        console.WriteLine($"  created {Time(i.CreatedAt)}, updated {Time(i.UpdatedAt)}{(i.FinishedAt is { } f ? $", finished {Time(f)}" : "")}{(i.Force ? ", forced" : "")}");
        if (i.DefinitionPath is not null) console.WriteLine($"  from {i.DefinitionPath}");
        foreach (var b in d.Bookmarks) console.WriteLine($"  waiting at {b.ActivityId}: {b.Message}");
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in new[] { "activity", "type", "#", "status", "started", "seconds", "tries", "worker", "outputs" }) table.AddColumn(c);
        foreach (var e in d.Executions)
        {
            string outputs = e.Outputs is null ? "" : string.Join("\n", e.Outputs.Select(o => $"{o.Key}={Short(o.Value?.ToJsonString())}"));
            table.AddRow(Markup.Escape(e.ActivityName is { Length: > 0 } n && n != e.ActivityId ? $"{e.ActivityId} ({n})" : e.ActivityId),
                Markup.Escape($"{e.ActivityType} v{e.ActivityVersion}"), e.Iteration.ToString(CultureInfo.InvariantCulture), e.Status.ToCode(),
                e.StartedAt.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture), e.DurationSeconds?.ToString("0.###", CultureInfo.InvariantCulture) ?? "",
                e.Attempts.ToString(CultureInfo.InvariantCulture), Markup.Escape(e.Worker is null ? "" : ProcessIdentity.Short(e.Worker)), Markup.Escape(outputs));
        }
        console.Write(table);
        if (i.Error is not null) console.WriteLine($"error: {i.Error}");
    }

    private static string Short(string? json) => json is { Length: 66 } && json[0] == '"' ? json[1..13] : json ?? "";

    private static string Time(DateTimeOffset t) => t.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
}
