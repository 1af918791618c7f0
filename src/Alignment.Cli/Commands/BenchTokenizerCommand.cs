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

    /// <summary>`--json` object: the tokenizer as loaded (its <see cref="Path"/>), and <see cref="Own"/>, our own BPE on the same
    /// folder's tokenizer.json when the tokenizer loads on one of Microsoft.ML.Tokenizers' models and has a tokenizer.json.</summary>
    public sealed record Report(string Tokenizer, string Text, string Path, long Bytes, long Tokens, double ColdMbPerSecond, double MbPerSecond,
                                double TokensPerSecond, int Passes, double TargetMbPerSecond, Run? Own);

    /// <summary>One more run on the same text with another encoding path.</summary>
    public sealed record Run(string Path, long Tokens, double ColdMbPerSecond, double MbPerSecond, double TokensPerSecond, int Passes);

    public static Command Create(Option<int?> threadsOption)
    {
        var tokenizer = new Option<string?>("--tokenizer")
        {
            Description = "A model folder, tokenizer.json, tokenizer.model or .tiktoken file. Default: a byte-level BPE (8,192 tokens, Llama 3 split rules) trained on the text first.",
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
            Tokenizer? own = null;
            string name;
            try
            {
                if (tokPath != null)
                {
                    tok = Tokenizer.FromFile(tokPath);
                    if (tok.EncodingPath != TokenizerPath.OwnBpe && HasTokenizerJson(tokPath)) own = Tokenizer.FromFile(tokPath, TokenizerPath.OwnBpe);
                    name = tokPath;
                }
                else
                {
                    var trained = BpeTrainer.Train(corpus.Split('\n'), new BpeTrainerOptions { VocabSize = 8192, SpecialTokens = ["<|endoftext|>"] });
                    tok = trained.ToTokenizer();
                    own = Tokenizer.FromJson(trained.ToTokenizerJson(), TokenizerConfig.Parse(trained.ToTokenizerConfigJson()), model: TokenizerPath.OwnBpe);
                    name = "byte-level BPE, 8192 tokens, trained on the text";
                }
            }
            catch (TokenizerException e)
            {
                throw new UsageException(e.Message);
            }
            var duration = TimeSpan.FromSeconds(Math.Max(0.1, ctx.Parse.GetValue(seconds)));
            var r = TokenizerBench.Run(tok, corpus, duration);
            Run? ownRun = null;
            if (own != null)
            {
                var o = TokenizerBench.Run(own, corpus, duration);
                ownRun = new Run(own.EncodingPath.ToString(), o.Tokens, o.ColdMegabytesPerSecond, o.MegabytesPerSecond, o.TokensPerSecond, o.Passes);
            }
            var report = new Report(name, textPath ?? "built-in English sample", tok.EncodingPath.ToString(), r.Bytes, r.Tokens, r.ColdMegabytesPerSecond,
                                    r.MegabytesPerSecond, r.TokensPerSecond, r.Passes, TargetMegabytesPerSecond, ownRun);
            if (ctx.Parse.GetValue(json)) ctx.WriteJson(report);
            else
            {
                ctx.Console.MarkupLine($"[bold]align bench tokenizer[/] — {Markup.Escape(report.Tokenizer)}; {Markup.Escape(report.Text)}");
                ctx.Console.WriteLine($"{report.Path}: {r}");
                if (ownRun != null)
                    ctx.Console.WriteLine($"{ownRun.Path} on the same text: cold {ownRun.ColdMbPerSecond:F1} MB/s, warm {ownRun.MbPerSecond:F1} MB/s");
                ctx.Console.MarkupLine(r.MegabytesPerSecond >= TargetMegabytesPerSecond
                    ? $"[green]OK[/]: ≥ {TargetMegabytesPerSecond} MB/s on one core"
                    : $"[yellow]below target[/]: {TargetMegabytesPerSecond} MB/s on one core");
            }
            return ExitCodes.Ok;
        }));
        return command;
    }

    /// <summary>Whether our own BPE can read the same tokenizer: a folder or file with a tokenizer.json.</summary>
    private static bool HasTokenizerJson(string path) =>
        Directory.Exists(path) ? File.Exists(System.IO.Path.Combine(path, "tokenizer.json"))
        : path.EndsWith(".model", StringComparison.OrdinalIgnoreCase) ? File.Exists(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, "tokenizer.json"))
        : !path.EndsWith(".tiktoken", StringComparison.OrdinalIgnoreCase);
}
