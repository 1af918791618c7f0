using System.CommandLine;
using System.Globalization;
using System.Text.Json.Serialization;
using Alignment.Cli.Bench;
using Alignment.Cli.Runtime;
using Alignment.Torch;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>What `align doctor` found; serialized as the `--json` object (snake_case keys).</summary>
public sealed record DoctorReport
{
    public required string Libtorch { get; init; }
    /// <summary>A GPU is usable (the linked libtorch has CUDA and sees at least one device).</summary>
    public required bool Cuda { get; init; }
    public required bool CudaBuilt { get; init; }
    public required int CudaDevices { get; init; }
    public required int Threads { get; init; }
    public required string ThreadsSource { get; init; }
    /// <summary>OMP_WAIT_POLICY that libtorch's OpenMP pool runs with (PASSIVE by default; see Alignment.Torch's ThreadingEnvironment).</summary>
    public string? OmpWaitPolicy { get; init; }
    /// <summary>Big tensors are kept in malloc's heap between steps (native/allocator.cpp); false with ALIGN_MALLOC=system.</summary>
    public bool MallocTuned { get; init; }
    public required int ProcessorCount { get; init; }
    /// <summary>fp32 1024×1024×1024 matmul on the CPU: 2·n³ / median seconds per product.</summary>
    public required double MatmulGflops { get; init; }
    public required int MatmulSize { get; init; }
    /// <summary>Same product on the first GPU, when one is usable.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public double? MatmulGflopsCuda { get; init; }
    /// <summary>Median per-call cost of a 1-element add through the bridge, freed by a dispose scope.</summary>
    public required double OpOverheadUs { get; init; }
    public required string Blas { get; init; }
    public required string Dotnet { get; init; }
    public required string Os { get; init; }
    /// <summary>"ok" or "warn".</summary>
    public required string Verdict { get; init; }
    public required IReadOnlyList<string> Warnings { get; init; }
}

/// <summary>`align doctor`: is this machine ready to train? libtorch, CUDA, threads, matmul speed, bridge overhead.</summary>
public static class DoctorCommand
{
    public const int MatmulSize = 1024;
    /// <summary>Below this fp32 matmul rate (GFLOP/s) training a small model is painfully slow.</summary>
    public const double MinMatmulGflops = 20;
    /// <summary>At or above this per-op cost (µs) the bridge dominates small layers.</summary>
    public const double MaxOpOverheadUs = 10;

    public static Command Create(Option<int?> threadsOption)
    {
        var json = new Option<bool>("--json")
        {
            Description = "Print one JSON object (keys: libtorch, cuda, cuda_built, cuda_devices, threads, matmul_gflops, op_overhead_us, blas, dotnet, verdict, warnings ...) and nothing else on stdout.",
        };
        var command = new Command("doctor",
            "Check that this machine is ready: libtorch version, CUDA build and devices, threads in use, " +
            $"fp32 matmul speed at {MatmulSize}×{MatmulSize}×{MatmulSize} and the per-call cost of a tiny op through the bridge. " +
            $"Warns when matmul is below {MinMatmulGflops} GFLOP/s or the overhead is {MaxOpOverheadUs} µs or more. Takes a few seconds.")
        {
            json,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx => Run(ctx, ctx.Parse.GetValue(json))));
        return command;
    }

    private static int Run(CommandContext ctx, bool json)
    {
        var facts = RuntimeFacts.Read();
        var (cpu, cuda, overhead) = ctx.WithStatus($"Timing {MatmulSize}³ matmul...", status =>
        {
            var cpu = TorchBench.Matmul(MatmulSize, Device.CPU);
            MatmulThroughput? cuda = null;
            if (facts.CudaAvailable)
            {
                status($"Timing {MatmulSize}³ matmul on cuda...");
                cuda = TorchBench.Matmul(MatmulSize, Device.CUDA);
            }
            status("Timing bridge overhead...");
            return (cpu, cuda, TorchBench.AddOverhead());
        });

        string? waitPolicy = torch.omp_wait_policy;
        var warnings = Judge(cpu.Gflops, overhead.MedianMicroseconds, facts.Blas, ctx.Threads, facts.ProcessorCount, waitPolicy);
        var report = new DoctorReport
        {
            Libtorch = facts.Libtorch,
            Cuda = facts.CudaAvailable,
            CudaBuilt = facts.CudaBuilt,
            CudaDevices = facts.CudaDevices,
            Threads = ctx.Threads,
            ThreadsSource = ThreadSetting.Describe(ctx.ThreadSource),
            OmpWaitPolicy = waitPolicy,
            MallocTuned = torch.malloc_tuned,
            ProcessorCount = facts.ProcessorCount,
            MatmulGflops = Math.Round(cpu.Gflops, 2),
            MatmulSize = MatmulSize,
            MatmulGflopsCuda = cuda is null ? null : Math.Round(cuda.Gflops, 2),
            OpOverheadUs = Math.Round(overhead.MedianMicroseconds, 3),
            Blas = facts.Blas,
            Dotnet = facts.Dotnet,
            Os = facts.Os,
            Verdict = warnings.Count == 0 ? "ok" : "warn",
            Warnings = warnings,
        };

        if (json) ctx.WriteJson(report);
        else Render(ctx.Console, report);
        return ExitCodes.Ok;
    }

    /// <summary>The warnings for a set of measurements; empty means the machine is fine for training.</summary>
    public static IReadOnlyList<string> Judge(double matmulGflops, double opOverheadUs, string blas, int threads, int processorCount, string? ompWaitPolicy = "PASSIVE")
    {
        var warnings = new List<string>();
        if (matmulGflops < MinMatmulGflops)
            warnings.Add($"fp32 matmul runs at {Format(matmulGflops)} GFLOP/s, below {MinMatmulGflops}: check that OpenBLAS is the BLAS in use " +
                         "(bash .ci/setup installs libopenblas0-pthread) and that threads are not limited.");
        if (opOverheadUs >= MaxOpOverheadUs)
            warnings.Add($"a tiny op costs {Format(opOverheadUs)} µs through the bridge, {MaxOpOverheadUs} µs or more: build with -c Release " +
                         "and check that the machine is not overloaded.");
        if (blas.Contains("/blas/", StringComparison.Ordinal) && !blas.Contains("openblas", StringComparison.OrdinalIgnoreCase))
            warnings.Add($"libtorch uses the reference BLAS ({blas}), which is many times slower than OpenBLAS: install libopenblas0-pthread (bash .ci/setup).");
        if (string.Equals(ompWaitPolicy, "ACTIVE", StringComparison.OrdinalIgnoreCase) && blas.Contains("openblas", StringComparison.OrdinalIgnoreCase))
            warnings.Add("OMP_WAIT_POLICY=ACTIVE is set: libtorch's OpenMP threads spin between ops and take the cores OpenBLAS's threads need " +
                         "(training ran at half speed that way on 2 cores); unset it to get our default, PASSIVE.");
        if (threads < processorCount)
            warnings.Add($"libtorch uses {threads} of {processorCount} cores (set by --threads or {ThreadSetting.EnvironmentVariable}).");
        return warnings;
    }

    private static void Render(IAnsiConsole console, DoctorReport r)
    {
        var table = new Table().Border(TableBorder.Rounded).Title("[bold]align doctor[/]");
        table.AddColumn("check");
        table.AddColumn("result");
        table.AddRow("libtorch", Markup.Escape(r.Libtorch));
        table.AddRow("CUDA", r.CudaBuilt
            ? $"built in; {(r.Cuda ? "[green]available[/]" : "[yellow]not available[/]")}, {r.CudaDevices} device(s)"
            : "not built in (CPU libtorch); set ALIGN_LIBTORCH to a CUDA libtorch for GPUs");
        table.AddRow("threads", $"{r.Threads} of {r.ProcessorCount} cores ({Markup.Escape(r.ThreadsSource)})");
        table.AddRow("BLAS", Markup.Escape(r.Blas));
        table.AddRow("OMP_WAIT_POLICY", Markup.Escape(r.OmpWaitPolicy ?? "unset (OpenMP default)"));
        table.AddRow("malloc", r.MallocTuned ? "big blocks kept in the heap (ALIGN_MALLOC=system for glibc's defaults)" : "glibc defaults");
        table.AddRow($"matmul fp32 {r.MatmulSize}³", Colored($"{Format(r.MatmulGflops)} GFLOP/s", r.MatmulGflops >= MinMatmulGflops));
        if (r.MatmulGflopsCuda is { } g) table.AddRow($"matmul fp32 {r.MatmulSize}³ cuda", $"{Format(g)} GFLOP/s");
        table.AddRow("op overhead (1-element add)", Colored($"{Format(r.OpOverheadUs)} µs", r.OpOverheadUs < MaxOpOverheadUs));
        table.AddRow(".NET", Markup.Escape(r.Dotnet));
        table.AddRow("OS", Markup.Escape(r.Os));
        console.Write(table);

        if (r.Warnings.Count == 0)
        {
            console.MarkupLine($"[green]verdict: OK[/] — matmul ≥ {MinMatmulGflops} GFLOP/s and bridge overhead < {MaxOpOverheadUs} µs; ready to train on this machine.");
            return;
        }
        console.MarkupLine($"[yellow]verdict: WARN[/] — {r.Warnings.Count} problem(s):");
        foreach (var w in r.Warnings) console.MarkupLine($"  [yellow]•[/] {Markup.Escape(w)}");
    }

    private static string Colored(string text, bool good) => good ? $"[green]{text}[/]" : $"[yellow]{text}[/]";

    internal static string Format(double value) => value.ToString(value >= 100 ? "0" : value >= 10 ? "0.0" : "0.00", CultureInfo.InvariantCulture);
}
