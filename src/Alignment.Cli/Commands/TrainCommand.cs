using System.CommandLine;
using System.Globalization;
using System.Text;
using Alignment.Cli.Runtime;
using Alignment.Training;
using Alignment.Training.Config;
using Alignment.Training.Distributed;
using Alignment.Training.Runtime;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align train STAGE --config FILE.json [--set key=value ...] --output DIR`: runs one training stage. The config keys
/// are the stage's documented options (`align train STAGE --help` lists each with type, default and description,
/// generated from the options type); --set overrides any key. DIR receives metrics.jsonl, checkpoints/step-N and the
/// final model. `--nproc N` trains data-parallel with N local worker processes (and `--nnodes/--node-rank/--master-addr/
/// --master-port` across machines, as torchrun); a worker started by torchrun itself reads torchrun's variables.
/// </summary>
public static class TrainCommand
{
    public static Command Create(Option<int?> threadsOption)
    {
        var train = new Command("train", "Train one pipeline stage: " + string.Join(", ", TrainStages.All.Select(s => s.Name)) +
                                         ". `align train STAGE --help` lists the stage's options.");
        foreach (var stage in TrainStages.All) train.Subcommands.Add(CreateStage(stage, threadsOption));
        return train;
    }

    private static Command CreateStage(TrainStage stage, Option<int?> threadsOption)
    {
        var config = new Option<string?>("--config") { Description = "JSON file of option keys (see the list below).", HelpName = "FILE.json" };
        var set = new Option<string[]>("--set")
        {
            Description = "Override one option: key=value (value as JSON, or a plain string). Repeatable.",
            HelpName = "key=value",
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--output") { Description = "Run folder: metrics.jsonl, checkpoints/step-N, the final model.", HelpName = "DIR", Required = true };
        var launch = new LaunchOptions();
        var command = new Command(stage.Name, stage.Description + "\n\n" + OptionsHelp(stage.OptionsType)) { config, set, output };
        launch.AddTo(command);
        command.SetAction(CommandContext.Action(threadsOption, ctx =>
        {
            var options = Bind(stage.OptionsType, ctx.Parse.GetValue(config), ctx.Parse.GetValue(set) ?? []);
            if (launch.Plan(ctx, stage) is { } plan)
            {
                var args = new List<string> { "train", stage.Name };
                if (ctx.Parse.GetValue(config) is { } c) args.AddRange(["--config", c]);
                foreach (string kv in ctx.Parse.GetValue(set) ?? []) args.AddRange(["--set", kv]);
                args.AddRange(["--output", ctx.Parse.GetValue(output)!]);
                return WorkerLauncher.Run(plan, args, ctx.Out, ctx.Error);
            }
            string summary = RunWithProgress(ctx, stage, options, ctx.Parse.GetValue(output)!);
            ctx.Out.WriteLine($"{stage.Name}: {summary}; output in {Path.GetFullPath(ctx.Parse.GetValue(output)!)}");
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static object Bind(Type type, string? configPath, string[] overrides)
    {
        var method = typeof(OptionsBinder).GetMethod(nameof(OptionsBinder.Bind))!.MakeGenericMethod(type);
        return method.Invoke(null, [configPath, overrides])!;
    }

    private static string RunWithProgress(CommandContext ctx, TrainStage stage, object options, string outputDir)
    {
        if (!ctx.Console.Profile.Capabilities.Interactive) return stage.Run(options, outputDir, new LineProgress(ctx.Out));
        string summary = "";
        ctx.Console.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(p => summary = stage.Run(options, outputDir, new SpectreProgress(p, ctx.Console)));
        return summary;
    }

    /// <summary>The option table of an options type: key, type, default, description.</summary>
    public static string OptionsHelp(Type optionsType)
    {
        var options = OptionsBinder.Describe(optionsType);
        int width = options.Max(o => o.Key.Length);
        var sb = new StringBuilder("Config options (key  type  default  description):\n");
        foreach (var o in options)
            sb.Append("  ").Append(o.Key.PadRight(width)).Append("  ").Append(o.TypeName).Append("  default ").Append(FormatDefault(o.Default))
              .Append("\n      ").Append(o.Description).Append('\n');
        return sb.ToString().TrimEnd();
    }

    private static string FormatDefault(object? value) => value switch
    {
        null => "(none)",
        string s => s.Length == 0 ? "\"\"" : s,
        bool b => b ? "true" : "false",
        Enum e => OptionInfo.ToSnake(e.ToString()),
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    /// <summary>Spectre progress bar with ETA for an interactive terminal.</summary>
    private sealed class SpectreProgress(ProgressContext context, IAnsiConsole console) : ITrainingProgress
    {
        private ProgressTask? task;

        public void Start(string stage, int completedSteps, int totalSteps)
        {
            task = context.AddTask(stage, maxValue: Math.Max(1, totalSteps));
            task.Value = completedSteps;
        }

        public void Step(int step, double loss)
        {
            if (task is null) return;
            task.Value = step;
            task.Description = string.Create(CultureInfo.InvariantCulture, $"step {step} loss {loss:G4}");
        }

        public void Message(string text) => console.MarkupLine($"[grey]{Markup.Escape(text)}[/]");

        public void Finish() => task?.StopTask();
    }
}
