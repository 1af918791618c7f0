using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using Alignment.Cli.Bench;
using Alignment.Cli.Runtime;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>`align bench train --json`'s object.</summary>
/// <param name="EagerGrpo">The PyTorch eager GRPO loop on the grpo case's shapes, when that case ran and --no-eager was not given.</param>
public sealed record TrainBenchReport(string Benchmark, string Libtorch, int Threads, string? OmpWaitPolicy, bool MallocTuned, IReadOnlyList<TrainBenchResult> Results, string Targets,
                                      EagerGrpoResult? EagerGrpo = null);

/// <summary>
/// `align bench train`: SFT tokens/s, DPO pairs/s and peak resident memory on the fixed configs (<see cref="TrainBench"/>).
/// Each case runs in its own child process (`--case NAME`) so that its VmHWM is its own. Compare with
/// tests/Alignment.Training.Tests/reference/train_bench.py (PyTorch eager, same models). Timings are printed, never asserted.
/// </summary>
public static class BenchTrainCommand
{
    public const string Targets = "SFT ≥ 1.1× PyTorch eager tokens/s; DPO ≥ 2× pairs/s of a loop running the reference model every step on " +
                                  "padded batches, and DPO peak memory ≤ 0.8× that loop's (reference/train_bench.py prints its side). " +
                                  "QLoRA on the hidden-1024 model: peak RSS ≤ 0.45× LoRA's, tokens/s ≥ 0.7× LoRA's (-gc: both with gradient checkpointing, and against LoRA without). " +
                                  "GRPO ≥ 1.5× the optimizer steps/s of the PyTorch eager loop on the same shapes (reference/grpo_bench.py, run here when python3 has torch).";

    public static Command Create(Option<int?> threadsOption)
    {
        var json = new Option<bool>("--json") { Description = "Print one JSON object and nothing else on stdout." };
        var @case = new Option<string?>("--case") { Description = $"Run one case in this process: {string.Join(", ", TrainBench.Cases)}.", HelpName = "NAME" };
        var steps = new Option<int?>("--steps") { Description = "Timed SFT steps (default 6; 12 for the hidden-1024 cases).", HelpName = "K", CustomParser = r => OptionParsers.NullableCount(r, "--steps") };
        var profile = new Option<string?>("--profile")
        {
            Description = "With --case: record the operators of the last timed SFT step (DPO: one more training step after the timed epoch) with " +
                          "libtorch's profiler and write a Chrome trace JSON to FILE (slows that step; for finding where time goes, not for the numbers).",
            HelpName = "FILE",
        };
        var noEager = new Option<bool>("--no-eager") { Description = "Do not run the PyTorch eager GRPO loop (reference/grpo_bench.py) after the grpo case." };
        var command = new Command("train", "Training throughput: SFT tokens/s, DPO pairs/s, GRPO generated tokens/s and steps/s, and peak resident memory, " +
                                           "tiny Llama d=256/4 layers and d=512/8 layers, seq 256, batch 8, vocabulary 4096.") { json, @case, steps, profile, noEager };
        command.SetAction(CommandContext.Action(threadsOption, ctx =>
        {
            var results = new List<TrainBenchResult>();
            if (ctx.Parse.GetValue(@case) is { } one)
            {
                if (!TrainBench.Cases.Contains(one)) throw new UsageException($"--case '{one}': expected one of {string.Join(", ", TrainBench.Cases)}");
                results.Add(TrainBench.Run(one, ctx.Parse.GetValue(steps), ctx.Parse.GetValue(profile)));
            }
            else
            {
                if (ctx.Parse.GetValue(profile) is not null) throw new UsageException("--profile needs --case NAME (one case in this process)");
                foreach (string name in TrainBench.Cases) results.Add(RunChild(ctx, name, ctx.Parse.GetValue(steps)));
            }
            var eager = results.FirstOrDefault(x => x.Case.StartsWith("grpo", StringComparison.Ordinal)) is { } grpo && !ctx.Parse.GetValue(noEager)
                ? EagerGrpo.Run(ctx.Threads, grpo.Steps)
                : null;
            var report = new TrainBenchReport("train", Alignment.Torch.torch.version, ctx.Threads, Alignment.Torch.torch.omp_wait_policy, Alignment.Torch.torch.malloc_tuned, results, Targets, eager);
            if (ctx.Parse.GetValue(json)) ctx.WriteJson(report);
            else Render(ctx.Console, report);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static TrainBenchResult RunChild(CommandContext ctx, string name, int? steps)
    {
        var psi = SelfProcess.StartInfo(["--threads", ctx.Threads.ToString(), "bench", "train", "--json", "--no-eager", "--case", name]);
        if (steps is int s) { psi.ArgumentList.Add("--steps"); psi.ArgumentList.Add(s.ToString()); }
        using var p = Process.Start(psi)!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0) throw new UsageException($"bench case {name} failed ({p.ExitCode}): {stderr}");
        var report = JsonSerializer.Deserialize<TrainBenchReport>(stdout, CommandContext.Json)!;
        return report.Results[0];
    }

    private static void Render(IAnsiConsole console, TrainBenchReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).Title($"align bench train — libtorch {Markup.Escape(r.Libtorch)}, {r.Threads} threads, OMP_WAIT_POLICY={Markup.Escape(r.OmpWaitPolicy ?? "unset")}, malloc {(r.MallocTuned ? "heap-kept" : "system")}");
        foreach (string c in new[] { "case", "params", "SFT tokens/s", "DPO pairs/s", "DPO pairs/s incl. reference", "GRPO generated tokens/s", "GRPO steps/s", "padding", "peak RSS MB (before the model)", "optimizer state MB (AdamW)" }) table.AddColumn(c);
        foreach (var x in r.Results)
            table.AddRow(x.Case, x.Parameters.ToString("N0"), F(x.TokensPerSecond), F(x.PairsPerSecond), F(x.PairsPerSecondWithReference),
                         F(x.GeneratedTokensPerSecond), F(x.StepsPerSecond),
                         x.PaddingFraction is double pf ? $"{pf:P1}" : "", F(x.PeakRssMb) + (x.BaselineRssMb is double b ? $" ({F(b)})" : ""),
                         x.OptimizerStateMb is double os ? $"{os:F1} ({x.AdamWStateMb:F1})" : "");
        console.Write(table);
        foreach (var x in QloraRatios(r.Results))
            console.MarkupLine(Markup.Escape($"QLoRA / LoRA at hidden {x.Hidden} ({x.Qlora} / {x.Lora}): peak RSS {x.QloraRssMb:F0} / {x.LoraRssMb:F0} MB = {x.Rss:F2}× " +
                                             $"(target ≤ {TrainBench.QloraRssTarget}×); above the runtime's own RSS before the model " +
                                             $"{x.QloraTrainingMb:F0} / {x.LoraTrainingMb:F0} MB = {x.TrainingRss:F2}×; tokens/s {x.Speed:F2}× " +
                                             $"(target ≥ {TrainBench.QloraSpeedTarget}×)"));
        if (r.EagerGrpo is { } e && r.Results.FirstOrDefault(x => x.Case.StartsWith("grpo", StringComparison.Ordinal)) is { } g)
            console.MarkupLine(Markup.Escape(e.NotRun is { } why
                ? $"PyTorch eager GRPO loop: not run ({why})"
                : $"PyTorch eager GRPO loop (torch {e.Torch}, same shapes): generated tokens/s {F(e.GeneratedTokensPerSecond)}, steps/s {F(e.StepsPerSecond)}, " +
                  $"peak RSS MB {F(e.PeakRssMb)}; ours / eager: steps/s {g.StepsPerSecond / e.StepsPerSecond:F2}× (target ≥ {EagerGrpo.Target}×), " +
                  $"generated tokens/s {g.GeneratedTokensPerSecond / e.GeneratedTokensPerSecond:F2}×, peak RSS {g.PeakRssMb / e.PeakRssMb:F2}×"));
        console.MarkupLine($"[grey]{Markup.Escape(r.Targets)}[/]");
    }

    /// <summary>qlora-N against lora-N for every hidden size where both ran, qlora-N-gc (gradient checkpointing) against
    /// lora-N-gc and against lora-N (qlora-N-gcK, the first K layers checkpointed, against lora-N): both peak RSS values and their ratio, the same above each process's RSS before its
    /// model was built (what training itself took) and its ratio, and the tokens/s ratio.</summary>
    public static IEnumerable<(int Hidden, string Qlora, string Lora, double QloraRssMb, double LoraRssMb, double Rss, double QloraTrainingMb,
                               double LoraTrainingMb, double TrainingRss, double Speed)> QloraRatios(IReadOnlyList<TrainBenchResult> results)
    {
        foreach (var q in results.Where(x => x.Case.StartsWith("qlora-", StringComparison.Ordinal)))
        {
            int gc = q.Case.IndexOf("-gc", StringComparison.Ordinal);
            var against = gc >= 0 ? new[] { q.Case[1..], q.Case[1..gc] } : [q.Case[1..]];
            foreach (string name in against)
                if (results.FirstOrDefault(x => x.Case == name) is { TokensPerSecond: double lt } l && q.TokensPerSecond is double qt)
                {
                    double qTrain = q.PeakRssMb - (q.BaselineRssMb ?? 0), lTrain = l.PeakRssMb - (l.BaselineRssMb ?? 0);
                    yield return (q.Hidden, q.Case, l.Case, q.PeakRssMb, l.PeakRssMb, q.PeakRssMb / l.PeakRssMb, qTrain, lTrain, qTrain / lTrain, qt / lt);
                }
        }
    }

    private static string F(double? v) => v is double d ? DoctorCommand.Format(d) : "";
}
