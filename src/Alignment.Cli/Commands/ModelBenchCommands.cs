using System.CommandLine;
using Alignment.Cli.Bench;
using Alignment.Cli.Runtime;
using Alignment.Torch;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>`align bench forward --json`'s object.</summary>
public sealed record ForwardBenchReport(string Benchmark, string Libtorch, int Threads, string Dtype, BenchModelConfig Config, int SeqLen,
                                        IReadOnlyList<Throughput> Results);

/// <summary>`align bench generate --json`'s object.</summary>
public sealed record GenerateBenchReport(string Benchmark, string Libtorch, int Threads, string Dtype, BenchModelConfig Config, int PromptLen,
                                         int NewTokens, string Decoding, IReadOnlyList<Throughput> Results);

/// <summary>`align bench forward` and `align bench generate`: tokens/s of the fixed tiny model (<see cref="ModelBench"/>).</summary>
public static class ModelBenchCommands
{
    private sealed record Common(int[] Batches, int? Iterations, ScalarType Dtype, bool Json);

    private static (Option<int[]> batch, Option<int?> iterations, Option<string> dtype, Option<bool> json) CommonOptions()
    {
        var batch = new Option<int[]>("--batch")
        {
            Description = $"Batch size; repeat for several. Default: {string.Join(" and ", ModelBench.DefaultBatches)}.",
            HelpName = "N",
            CustomParser = r => OptionParsers.Counts(r, "--batch", max: 4096),
        };
        var iterations = new Option<int?>("--iterations")
        {
            Description = "Timed calls per batch size after one warm-up. Default: as many as fit in about 1 s (3 to 50).",
            HelpName = "K",
            CustomParser = r => OptionParsers.NullableCount(r, "--iterations"),
        };
        var dtype = new Option<string>("--dtype") { Description = "Compute dtype: float32, bfloat16 or float16 (float16 needs half-precision matmul: a GPU, or a CPU libtorch newer than Debian's 1.13).", DefaultValueFactory = _ => "float32" };
        dtype.Validators.Add(r =>
        {
            string text = r.Tokens.Count > 0 ? r.Tokens[^1].Value : "float32";
            try
            {
                if (!ScalarTypeExtensions.ParseDType(text).IsFloatingPoint()) r.AddError($"--dtype '{text}': expected float32, bfloat16 or float16");
            }
            catch (TorchException e)
            {
                r.AddError(e.Message);
            }
        });
        var json = new Option<bool>("--json") { Description = "Print one JSON object (config, results with tokens_per_second) and nothing else on stdout." };
        return (batch, iterations, dtype, json);
    }

    private static Common Read(ParseResult p, Option<int[]> batch, Option<int?> iterations, Option<string> dtype, Option<bool> json) => new(
        p.GetValue(batch) is { Length: > 0 } b ? b : ModelBench.DefaultBatches,
        p.GetValue(iterations),
        ScalarTypeExtensions.ParseDType(p.GetValue(dtype)!),
        p.GetValue(json));

    public static Command CreateForward(Option<int?> threadsOption)
    {
        var (batch, iterations, dtype, json) = CommonOptions();
        var seqLen = new Option<int>("--seq-len")
        {
            Description = "Tokens per sequence.",
            HelpName = "T",
            DefaultValueFactory = _ => 128,
            CustomParser = r => OptionParsers.Count(r, "--seq-len", max: 8192),
        };
        var command = new Command("forward",
            "Forward-pass throughput (tokens/s, no gradients) of a fixed tiny Llama-shaped model (4 layers, hidden 256, GQA 8/4 heads, " +
            "vocabulary 4096) at batch 1 and 16.")
        {
            batch, iterations, dtype, json, seqLen,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx =>
        {
            var c = Read(ctx.Parse, batch, iterations, dtype, json);
            int t = ctx.Parse.GetValue(seqLen);
            using var model = ModelBench.CreateModel(c.Dtype);
            var results = ctx.WithStatus("Timing forward passes...", status =>
                c.Batches.Select(b => { status($"Timing forward, batch {b}..."); return ModelBench.Forward(model, b, t, c.Iterations); }).ToList());
            var report = new ForwardBenchReport("forward", torch.version, ctx.Threads, c.Dtype.TorchName(), ModelBench.Describe(model), t, results);
            if (c.Json) ctx.WriteJson(report);
            else Render(ctx.Console, $"forward, {t} tokens per sequence", report.Config, report.Dtype, report.Threads, results);
            return ExitCodes.Ok;
        }));
        return command;
    }

    public static Command CreateGenerate(Option<int?> threadsOption)
    {
        var (batch, iterations, dtype, json) = CommonOptions();
        var promptLen = new Option<int>("--prompt-len")
        {
            Description = "Prompt tokens per sequence.",
            HelpName = "P",
            DefaultValueFactory = _ => 32,
            CustomParser = r => OptionParsers.Count(r, "--prompt-len", max: 8192),
        };
        var newTokens = new Option<int>("--new-tokens")
        {
            Description = "Tokens generated per sequence (greedy, no EOS, so every sequence runs to this length).",
            HelpName = "N",
            DefaultValueFactory = _ => 64,
            CustomParser = r => OptionParsers.Count(r, "--new-tokens", max: 8192),
        };
        var command = new Command("generate",
            "Greedy generation throughput (new tokens/s, KV cache, left-padded batch) of the same fixed tiny model as `bench forward`, " +
            "at batch 1 and 16.")
        {
            batch, iterations, dtype, json, promptLen, newTokens,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx =>
        {
            var c = Read(ctx.Parse, batch, iterations, dtype, json);
            int p = ctx.Parse.GetValue(promptLen), n = ctx.Parse.GetValue(newTokens);
            using var model = ModelBench.CreateModel(c.Dtype);
            var results = ctx.WithStatus("Timing generation...", status =>
                c.Batches.Select(b => { status($"Timing generation, batch {b}..."); return ModelBench.Generate(model, b, p, n, c.Iterations); }).ToList());
            var report = new GenerateBenchReport("generate", torch.version, ctx.Threads, c.Dtype.TorchName(), ModelBench.Describe(model), p, n,
                                                 "greedy, kv cache", results);
            if (c.Json) ctx.WriteJson(report);
            else Render(ctx.Console, $"greedy generation, {p}-token prompts, {n} new tokens", report.Config, report.Dtype, report.Threads, results);
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Render(IAnsiConsole console, string what, BenchModelConfig m, string dtype, int threads, IReadOnlyList<Throughput> results)
    {
        console.MarkupLine($"[bold]align bench[/] — {Markup.Escape(what)}; {m.ModelType} {m.NumHiddenLayers} layers, hidden {m.HiddenSize}, " +
                           $"{m.NumAttentionHeads}/{m.NumKeyValueHeads} heads, vocab {m.VocabSize}, {m.Parameters / 1e6:0.0}M parameters, {dtype}, {threads} threads");
        var table = new Table().Border(TableBorder.Rounded);
        table.AddColumn(new TableColumn("batch").RightAligned());
        table.AddColumn(new TableColumn("tokens per call").RightAligned());
        table.AddColumn(new TableColumn("iterations").RightAligned());
        table.AddColumn(new TableColumn("median ms").RightAligned());
        table.AddColumn(new TableColumn("tokens/s").RightAligned());
        foreach (var r in results)
            table.AddRow(r.Batch.ToString(), r.Tokens.ToString(), r.Iterations.ToString(), DoctorCommand.Format(r.MedianSeconds * 1e3),
                         DoctorCommand.Format(r.TokensPerSecond));
        console.Write(table);
    }
}
