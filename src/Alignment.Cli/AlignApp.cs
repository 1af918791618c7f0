using System.CommandLine;
using Alignment.Cli.Commands;
using Alignment.Cli.Runtime;

namespace Alignment.Cli;

/// <summary>The `align` command tree. Build it with <see cref="CreateRootCommand"/>, or run it with <see cref="Run"/>.</summary>
public static class AlignApp
{
    public static RootCommand CreateRootCommand()
    {
        var threads = new Option<int?>("--threads")
        {
            Description = $"libtorch intra-op threads for this run. Default: ${ThreadSetting.EnvironmentVariable} if set, else every logical core " +
                          $"({Environment.ProcessorCount} here).",
            HelpName = "N",
            Recursive = true,
            CustomParser = r => OptionParsers.NullableCount(r, "--threads", max: 4096),
        };

        var root = new RootCommand(
            "align: an RLHF/DPO alignment pipeline on libtorch: see it all at work (demo), label answers in the browser (serve, annotators, projects, " +
            "import, export), train stages (train sft|rm|dpo|kto|ppo|best-of-n), chain them in workflows (run, resume, status, " +
            "cancel, artifacts, report, workflows), move a home's data to PostgreSQL (store copy), use models (generate, logprobs, tokenize) and measure (doctor, bench). " +
            "Run `align <command> --help` for each command's options.")
        {
            threads,
            DemoCommand.Create(threads),
            DoctorCommand.Create(threads),
            BenchCommand.Create(threads),
            TokenizeCommand.Create(threads),
            LogprobsCommand.Create(threads),
            GenerateCommand.Create(threads),
            RunCommand.Create(threads),
            RunCommand.CreateResume(threads),
            WorkerCommand.Create(threads),
            StatusCommand.Create(threads),
            StatusCommand.CreateCancel(threads),
            ArtifactsCommand.Create(threads),
            ReportCommand.Create(threads),
            WorkflowsCommand.Create(threads),
            TrainCommand.Create(threads),
            StoreCommand.Create(),
        };
        Commands.Labeling.LabelingCommands.AddTo(root);
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>, writing to the given writers; returns the exit code. This is the one place
    /// where a command's exception becomes an exit code: the user's errors (see <see cref="CliErrors"/>) print one
    /// "error: ..." line and give <see cref="ExitCodes.Failure"/>, a missing native library gives
    /// <see cref="ExitCodes.NativeLibraryMissing"/>, and anything else is a bug: its stack trace and
    /// <see cref="ExitCodes.InternalError"/>.
    /// </summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        Alignment.Training.Distributed.WorkerLauncher.Start ??= SelfProcess.StartInfo;   // data-parallel workers are `align` processes
        var parse = CreateRootCommand().Parse(args);
        try
        {
            return parse.Invoke(new InvocationConfiguration { Output = output, Error = error, EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (CliErrors.IsNativeLoadFailure(e))
        {
            error.WriteLine(CommandContext.NativeLoadHint(CliErrors.Unwrap(e)));
            return ExitCodes.NativeLibraryMissing;
        }
        catch (Exception e) when (CliErrors.Describe(e) is { } message)
        {
            error.WriteLine($"error: {message}");
            return ExitCodes.Failure;
        }
        catch (Exception e)
        {
            error.WriteLine($"internal error (a bug in align; please report it with this text): {e}");
            return ExitCodes.InternalError;
        }
    }
}
