using System.CommandLine;
using Alignment.Cli.Bench;
using Alignment.Cli.Runtime;
using Alignment.Torch;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>`align bench torch`'s `--json` object.</summary>
public sealed record TorchBenchReport(
    string Libtorch,
    int Threads,
    string ThreadsSource,
    int ProcessorCount,
    string Blas,
    IReadOnlyList<OpCost> Ops,
    IReadOnlyList<MatmulThroughput> Matmul);

/// <summary>`align bench ...`: single benchmarks. Speed targets are printed here, never asserted in tests.</summary>
public static class BenchCommand
{
    public static Command Create(Option<int?> threadsOption)
    {
        var bench = new Command("bench", "Run one benchmark and print its numbers (speed targets live here, not in the tests).");
        bench.Subcommands.Add(CreateTorch(threadsOption));
        bench.Subcommands.Add(BenchTokenizerCommand.Create(threadsOption));
        bench.Subcommands.Add(ModelBenchCommands.CreateForward(threadsOption));
        bench.Subcommands.Add(ModelBenchCommands.CreateGenerate(threadsOption));
        bench.Subcommands.Add(Labeling.LabelingBenchCommand.Create());
        bench.Subcommands.Add(BenchTrainCommand.Create(threadsOption));
        bench.Subcommands.Add(BenchDdpCommand.Create(threadsOption));
        return bench;
    }

    private static Command CreateTorch(Option<int?> threadsOption)
    {
        var sizes = new Option<int[]>("--size")
        {
            Description = "Matmul size n for the fp32 (n×n)·(n×n) throughput; repeat for several (--size 512 --size 4096). " +
                          $"Default: {string.Join(", ", TorchBench.DefaultMatmulSizes)}.",
            HelpName = "N",
            CustomParser = r => OptionParsers.Counts(r, "--size", max: 32768),
        };
        var iterations = new Option<int?>("--iterations")
        {
            Description = "Timed matmul products per size, after two warm-up products. Default: as many as fit in about 1 s (at least 3).",
            HelpName = "K",
            CustomParser = r => OptionParsers.NullableCount(r, "--iterations"),
        };
        var calls = new Option<int>("--calls")
        {
            Description = "Calls per timed batch for the per-op overheads; each op reports the median of 7 batches.",
            HelpName = "N",
            DefaultValueFactory = _ => TorchBench.DefaultCallsPerBatch,
            CustomParser = r => OptionParsers.Count(r, "--calls"),
        };
        var device = new Option<string>("--device")
        {
            Description = "Device for the matmul throughput: cpu, cuda or cuda:N (per-op overheads always use CPU tensors).",
            DefaultValueFactory = _ => "cpu",
        };
        device.Validators.Add(r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "cpu";
            try { Device.Parse(text); }
            catch (TorchException e) { r.AddError(e.Message); }
        });
        var json = new Option<bool>("--json") { Description = "Print one JSON object (ops, matmul, threads, libtorch) and nothing else on stdout." };

        var command = new Command("torch",
            "Tensor-library benchmark: per-call overhead through the bridge for small ops (add, 8×8 matmul, sum, view, " +
            "cross-entropy, scalar read-back, dispose-scope round trip) and fp32 matmul throughput in GFLOP/s at several sizes.")
        {
            sizes, iterations, calls, device, json,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx => RunTorch(ctx, new TorchBenchSettings(
            ctx.Parse.GetValue(sizes) is { Length: > 0 } s ? s : TorchBench.DefaultMatmulSizes,
            ctx.Parse.GetValue(iterations),
            ctx.Parse.GetValue(calls),
            Device.Parse(ctx.Parse.GetValue(device)!),
            ctx.Parse.GetValue(json)))));
        return command;
    }

    private sealed record TorchBenchSettings(int[] Sizes, int? Iterations, int Calls, Device Device, bool Json);

    private static int RunTorch(CommandContext ctx, TorchBenchSettings settings)
    {
        var facts = RuntimeFacts.Read();
        if (settings.Device.type == DeviceType.CUDA && !facts.CudaAvailable)
            throw new UsageException($"--device {settings.Device}: no usable GPU (CUDA built in: {(facts.CudaBuilt ? "yes" : "no")}, devices: {facts.CudaDevices})");

        var (ops, matmul) = ctx.WithStatus("Measuring per-op overhead...", status =>
        {
            var ops = TorchBench.OpOverheads(settings.Calls, TorchBench.DefaultBatches, op => status($"Measuring per-op overhead: {op}..."));
            var matmul = new List<MatmulThroughput>();
            foreach (int n in settings.Sizes)
            {
                status($"Timing {n}×{n} matmul on {settings.Device}...");
                matmul.Add(TorchBench.Matmul(n, settings.Device, settings.Iterations));
            }
            return (ops, matmul);
        });

        var report = new TorchBenchReport(facts.Libtorch, ctx.Threads, ThreadSetting.Describe(ctx.ThreadSource), facts.ProcessorCount, facts.Blas, ops, matmul);
        if (settings.Json) ctx.WriteJson(report);
        else Render(ctx.Console, report);
        return ExitCodes.Ok;
    }

    private static void Render(IAnsiConsole console, TorchBenchReport r)
    {
        console.MarkupLine($"[bold]align bench torch[/] — libtorch {Markup.Escape(r.Libtorch)}, {r.Threads} of {r.ProcessorCount} threads ({Markup.Escape(r.ThreadsSource)}), BLAS {Markup.Escape(r.Blas)}");

        var ops = new Table().Border(TableBorder.Rounded).Title("per-call overhead (CPU, result freed by a dispose scope)");
        ops.AddColumn("op");
        ops.AddColumn("what one call does");
        ops.AddColumn(new TableColumn("median µs").RightAligned());
        ops.AddColumn(new TableColumn("best µs").RightAligned());
        foreach (var op in r.Ops)
            ops.AddRow(op.Name, Markup.Escape(op.What), DoctorCommand.Format(op.MedianMicroseconds), DoctorCommand.Format(op.BestMicroseconds));
        console.Write(ops);

        var mm = new Table().Border(TableBorder.Rounded).Title("fp32 matmul (n×n)·(n×n), 2·n³ flop per product");
        mm.AddColumn(new TableColumn("n").RightAligned());
        mm.AddColumn("device");
        mm.AddColumn(new TableColumn("iterations").RightAligned());
        mm.AddColumn(new TableColumn("median ms").RightAligned());
        mm.AddColumn(new TableColumn("GFLOP/s").RightAligned());
        mm.AddColumn(new TableColumn("best GFLOP/s").RightAligned());
        foreach (var m in r.Matmul)
            mm.AddRow(m.Size.ToString(), m.Device, m.Iterations.ToString(), DoctorCommand.Format(m.MedianSeconds * 1e3),
                      DoctorCommand.Format(m.Gflops), DoctorCommand.Format(m.BestGflops));
        console.Write(mm);
        console.MarkupLine($"[grey]targets: add overhead < {DoctorCommand.MaxOpOverheadUs} µs, matmul ≥ {DoctorCommand.MinMatmulGflops} GFLOP/s at 1024 (same as `align doctor`).[/]");
    }
}
