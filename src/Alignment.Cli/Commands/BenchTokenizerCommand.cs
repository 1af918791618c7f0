using System.CommandLine;
using Alignment.Cli.Runtime;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Bench;
using Alignment.Tokenizers.Training;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>`align bench tokenizer`: encode throughput on one core (target ≥ 5 MB/s of English).</summary>
public static class BenchTokenizerCommand
{
    public const double TargetMegabytesPerSecond = 5;

    /// <summary>`--json` object.</summary>
    public sealed record Report(string Tokenizer, string Text, long Bytes, long Tokens, double ColdMbPerSecond, double MbPerSecond,
                                double TokensPerSecond, int Passes, double TargetMbPerSecond);

    public static Command Create(Option<int?> threadsOption)
    {
        var tokenizer = new Option<string?>("--tokenizer")
        {
            Description = "tokenizer.json or a model folder. Default: a byte-level BPE (8,192 tokens, Llama 3 split rules) trained on the text first.",
            HelpName = "FILE_OR_DIR",
        };
        var text = new Option<string?>("--text") { Description = "UTF-8 text file to encode. Default: 4 MB of built-in English prose.", HelpName = "FILE" };
        var seconds = new Option<double>("--seconds") { Description = "Minimum timed duration after the first (cold) pass.", DefaultValueFactory = _ => 2.0 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object and nothing else on stdout." };
        var command = new Command("tokenizer", "Tokenizer encode throughput on one core, in MB/s of UTF-8 text (target ≥ 5 MB/s on English).")
        {
            tokenizer, text, seconds, json,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx =>
        {
            string? textPath = ctx.Parse.GetValue(text);
            if (textPath != null && !File.Exists(textPath)) throw new UsageException($"--text {textPath}: file not found");
            string corpus = textPath != null ? File.ReadAllText(textPath) : TokenizerBench.SampleText();
            if (corpus.Length == 0) throw new UsageException($"--text {textPath}: the file is empty");
            string? tokPath = ctx.Parse.GetValue(tokenizer);
            Tokenizer tok;
            string name;
            try
            {
                if (tokPath != null)
                {
                    tok = Tokenizer.FromFile(tokPath);
                    name = tokPath;
                }
                else
                {
                    tok = BpeTrainer.Train(corpus.Split('\n'), new BpeTrainerOptions { VocabSize = 8192, SpecialTokens = ["<|endoftext|>"] }).ToTokenizer();
                    name = "byte-level BPE, 8192 tokens, trained on the text";
                }
            }
            catch (TokenizerException e)
            {
                throw new UsageException(e.Message);
            }
            var r = TokenizerBench.Run(tok, corpus, TimeSpan.FromSeconds(Math.Max(0.1, ctx.Parse.GetValue(seconds))));
            var report = new Report(name, textPath ?? "built-in English sample", r.Bytes, r.Tokens, r.ColdMegabytesPerSecond, r.MegabytesPerSecond,
                                    r.TokensPerSecond, r.Passes, TargetMegabytesPerSecond);
            if (ctx.Parse.GetValue(json)) ctx.WriteJson(report);
            else
            {
                ctx.Console.MarkupLine($"[bold]align bench tokenizer[/] — {Markup.Escape(report.Tokenizer)}; {Markup.Escape(report.Text)}");
                ctx.Console.WriteLine(r.ToString());
                ctx.Console.MarkupLine(r.MegabytesPerSecond >= TargetMegabytesPerSecond
                    ? $"[green]OK[/]: ≥ {TargetMegabytesPerSecond} MB/s on one core"
                    : $"[yellow]below target[/]: {TargetMegabytesPerSecond} MB/s on one core");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }
}
