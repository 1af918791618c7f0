using System.CommandLine;
using System.Text.Json;
using Alignment.Cli.Bench;
using Alignment.Cli.Runtime;
using Alignment.Training.Distributed;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>`align bench ddp --json`'s object.</summary>
/// <param name="ScalingEfficiency">Tokens/s of 2 processes × 1 thread divided by tokens/s of 1 process × 2 threads.</param>
/// <param name="BucketedVsRaw">The bucketed path's allreduce bandwidth divided by the raw allreduce's.</param>
public sealed record DdpBenchReport(string Benchmark, string Libtorch, int ProcessorCount, int Steps, int GlobalBatch,
                                    double SingleProcessTokensPerSecond, double TwoProcessTokensPerSecond, double ScalingEfficiency,
                                    AllreduceBench Allreduce, double BucketedVsRaw, string Backend);

/// <summary>
/// `align bench ddp`: see <see cref="DdpBench"/>. Every measurement runs in child processes (`align train sft`, with and
/// without --nproc 2, and this command's --case allreduce under two workers), so each has its own threads and heap.
/// Numbers are printed, never asserted.
/// </summary>
public static class BenchDdpCommand
{
    public static Command Create(Option<int?> threadsOption)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object and nothing else on stdout." };
        var steps = new Option<int?>("--steps") { Description = "SFT steps per run (default 8; the first 2 are warm-up).", HelpName = "K", CustomParser = r => OptionParsers.NullableCount(r, "--steps") };
        var repeats = new Option<int?>("--repeats") { Description = "Timed allreduces per path (default 10).", HelpName = "K", CustomParser = r => OptionParsers.NullableCount(r, "--repeats") };
        var @case = new Option<string?>("--case") { Description = "allreduce: run the allreduce case in this process (a worker of a launch).", HelpName = "NAME" };
        var command = new Command("ddp", "Data-parallel training: SFT tokens/s of 1 process × 2 threads against 2 processes × 1 thread, and DDP's bucketed " +
                                         "gradient allreduce against one raw c10d allreduce of the same bytes (Gloo, loopback).") { json, steps, repeats, @case };
        command.SetAction(CommandContext.Action(threadsOption, ctx =>
        {
            int reps = ctx.Parse.GetValue(repeats) ?? 10;
            if (ctx.Parse.GetValue(@case) is { } name)
            {
                if (name != "allreduce") throw new UsageException($"--case '{name}': expected allreduce");
                ctx.WriteJson(DdpBench.Allreduce(reps));
                return ExitCodes.Ok;
            }
            int k = ctx.Parse.GetValue(steps) ?? 8;
            string dir = Directory.CreateTempSubdirectory("align-bench-ddp-").FullName;
            try
            {
                string config = DdpBench.Prepare(dir, k);
                Child(["--threads", "2", "train", "sft", "--config", config, "--set", $"batch_size={DdpBench.GlobalBatch}", "--output", Path.Combine(dir, "one")]);
                Child(["--threads", "2", "train", "sft", "--config", config, "--set", $"batch_size={DdpBench.GlobalBatch / 2}", "--nproc", "2", "--output", Path.Combine(dir, "two")]);
                double one = DdpBench.MedianTokensPerSecond(Path.Combine(dir, "one")), two = DdpBench.MedianTokensPerSecond(Path.Combine(dir, "two"));
                var output = new StringWriter();
                var error = new StringWriter();
                var plan = new LaunchPlan(2, 1, 0, "127.0.0.1", LaunchPlan.FreeLoopbackPort(), 1);
                if (WorkerLauncher.Run(plan, ["bench", "ddp", "--case", "allreduce", "--repeats", reps.ToString(System.Globalization.CultureInfo.InvariantCulture)], output, error) != 0)
                    throw new UsageException($"bench ddp: the allreduce workers failed: {error}");
                var allreduce = JsonSerializer.Deserialize<AllreduceBench>(output.ToString(), CommandContext.Json)!;
                var report = new DdpBenchReport("ddp", Alignment.Torch.torch.version, Environment.ProcessorCount, k, DdpBench.GlobalBatch, one, two, two / one,
                                                allreduce, allreduce.BucketedGbPerSecond / allreduce.RawGbPerSecond, "gloo");
                if (ctx.Parse.GetValue(json)) ctx.WriteJson(report);
                else Render(ctx.Console, report);
                return ExitCodes.Ok;
            }
            finally
            {
                Directory.Delete(dir, recursive: true);
            }
        }));
        return command;
    }

    private static void Child(IReadOnlyList<string> args)
    {
        using var p = System.Diagnostics.Process.Start(SelfProcess.StartInfo(args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new UsageException($"bench ddp: `align {string.Join(' ', args)}` failed ({p.ExitCode}): {stderr}{stdout.Result}");
    }

    private static void Render(IAnsiConsole console, DdpBenchReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"align bench ddp — libtorch {Markup.Escape(r.Libtorch)}, {r.ProcessorCount} cores, Gloo on loopback");
        table.AddColumn("measure");
        table.AddColumn("value");
        table.AddRow("SFT tokens/s, 1 process × 2 threads", DoctorCommand.Format(r.SingleProcessTokensPerSecond));
        table.AddRow("SFT tokens/s, 2 processes × 1 thread", DoctorCommand.Format(r.TwoProcessTokensPerSecond));
        table.AddRow("scaling efficiency", $"{r.ScalingEfficiency:P0}");
        table.AddRow($"allreduce {r.Allreduce.Bytes / 1e6:F1} MB, raw c10d", $"{r.Allreduce.RawGbPerSecond:F2} GB/s");
        table.AddRow($"allreduce, DDP buckets ({r.Allreduce.Buckets})", $"{r.Allreduce.BucketedGbPerSecond:F2} GB/s ({r.BucketedVsRaw:P0} of raw)");
        console.Write(table);
    }
}
