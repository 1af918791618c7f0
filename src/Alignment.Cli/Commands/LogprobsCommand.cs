using System.CommandLine;
using System.Diagnostics;
using Alignment.Cli.Runtime;
using Alignment.Models.Llama;
using Alignment.Models.Scoring;
using Alignment.Torch;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align logprobs --model DIR --input IN.jsonl --output OUT.jsonl`: for each input line <c>{"ids": [...]}</c> one output
/// line <c>{"logprobs": [null, lp1, lp2, ...]}</c>, the natural-log probability of each token given those before it
/// (the first token has none). Needs only config.json and the safetensors weights in DIR (no tokenizer).
/// </summary>
public static class LogprobsCommand
{
    public static Command Create(Option<int?> threadsOption)
    {
        var model = new Option<string>("--model") { Description = "Hugging Face model folder (config.json + safetensors; no tokenizer needed).", HelpName = "DIR", Required = true };
        var input = new Option<string>("--input") { Description = "JSONL file, one {\"ids\": [...]} object per line.", HelpName = "IN.jsonl", Required = true };
        var output = new Option<string>("--output") { Description = "JSONL file to write, one {\"logprobs\": [null, ...]} per input line, in order (written atomically).", HelpName = "OUT.jsonl", Required = true };
        var dtype = new Option<string>("--dtype")
        {
            Description = "Compute dtype: float32, bfloat16 or float16 (float16 needs half-precision matmul: a GPU, or a CPU libtorch newer than Debian's 1.13).",
            DefaultValueFactory = _ => "float32",
        };
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
        var batch = new Option<int>("--batch-size")
        {
            Description = "Sequences per forward pass (sorted by length first, so padding stays small).",
            HelpName = "N",
            DefaultValueFactory = _ => 8,
            CustomParser = r => OptionParsers.Count(r, "--batch-size"),
        };

        var command = new Command("logprobs",
            "Per-token log-probabilities of token-id sequences under a model: each input line {\"ids\": [...]} gives " +
            "{\"logprobs\": [null, lp1, lp2, ...]}, the natural log of each token's probability given the tokens before it.")
        {
            model, input, output, dtype, batch,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx => Run(ctx,
            ctx.Parse.GetValue(model)!, ctx.Parse.GetValue(input)!, ctx.Parse.GetValue(output)!,
            ScalarTypeExtensions.ParseDType(ctx.Parse.GetValue(dtype)!), ctx.Parse.GetValue(batch))));
        return command;
    }

    private static int Run(CommandContext ctx, string modelDir, string inputPath, string outputPath, ScalarType dtype, int batchSize)
    {
        var start = Stopwatch.GetTimestamp();
        // The configuration is enough to check every id against the vocabulary before the weights are read.
        var config = LlamaConfig.Load(modelDir);
        config.Validate(Path.Combine(modelDir, "config.json"));
        var sequences = IdLines.Read(inputPath, config.Vocab, $"{modelDir} (vocab_size in config.json)");

        using var model = LlamaForCausalLM.from_pretrained(modelDir, dtype);
        foreach (var w in model.warnings) ctx.Error.WriteLine($"warning: {w}");
        model.eval();
        var results = ctx.WithStatus($"Scoring {sequences.Count} sequences...", _ => TokenLogProbs.Compute(model, sequences, batchSize));
        for (int i = 0; i < results.Count; i++)
            if (Array.FindIndex(results[i], v => v is double d && !double.IsFinite(d)) is var t and >= 0)
                throw new UsageException($"{inputPath}:{i + 1}: the log-probability of ids[{t}] is {results[i][t]} under {modelDir} " +
                                         "(its logits overflow in this dtype; try --dtype float32); nothing was written");
        IdLines.WriteAtomically(outputPath, results.Select(IdLines.LogprobsLine));

        long tokens = sequences.Sum(s => (long)s.Length);
        ctx.Out.WriteLine($"scored {sequences.Count} sequences ({tokens} tokens) in {Stopwatch.GetElapsedTime(start).TotalSeconds:0.00} s -> {outputPath}");
        return ExitCodes.Ok;
    }
}
