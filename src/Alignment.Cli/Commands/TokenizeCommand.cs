using System.CommandLine;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Cli.Runtime;
using Alignment.Tokenizers;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align tokenize --tokenizer FILE_OR_DIR --input IN.jsonl --output OUT.jsonl [--decode]`: each line `{"text": ...}`
/// becomes `{"ids": [...]}` (no special tokens added), or with --decode each `{"ids": [...]}` becomes `{"text": ...}`.
/// Output keeps the input's order and is written atomically.
/// </summary>
public static class TokenizeCommand
{
    public static Command Create(Option<int?> threadsOption)
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json, or a model folder that has one (tokenizer_config.json beside it is read too).", Required = true, HelpName = "FILE_OR_DIR" };
        var input = new Option<string>("--input") { Description = "JSONL input: {\"text\": ...} per line, or {\"ids\": [...]} with --decode.", Required = true, HelpName = "IN.jsonl" };
        var output = new Option<string>("--output") { Description = "JSONL output, one line per input line, same order.", Required = true, HelpName = "OUT.jsonl" };
        var decode = new Option<bool>("--decode") { Description = "Decode ids to text instead of encoding text to ids." };
        var command = new Command("tokenize", "Encode text to token ids (or decode ids to text) with a Hugging Face tokenizer.json, exactly as Hugging Face's tokenizers do.")
        {
            tokenizer, input, output, decode,
        };
        command.SetAction(CommandContext.Action(threadsOption, ctx => Run(
            ctx, ctx.Parse.GetValue(tokenizer)!, ctx.Parse.GetValue(input)!, ctx.Parse.GetValue(output)!, ctx.Parse.GetValue(decode))));
        return command;
    }

    private static int Run(CommandContext ctx, string tokenizerPath, string inputPath, string outputPath, bool decode)
    {
        Tokenizer tok;
        try { tok = Tokenizer.FromFile(tokenizerPath); }
        catch (TokenizerException e) { throw new UsageException(e.Message); }
        if (!File.Exists(inputPath)) throw new UsageException($"{inputPath}: file not found");
        var lines = new List<string>();
        int lineNo = 0;
        foreach (string line in Utf8Text.ReadAllLines(inputPath))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject row;
            try { row = JsonNode.Parse(line) as JsonObject ?? throw new UsageException($"{inputPath}:{lineNo}: each line must be a JSON object"); }
            catch (JsonException e) { throw new UsageException($"{inputPath}:{lineNo}: not valid JSON ({e.Message.Split(". ")[0]})"); }
            lines.Add(decode ? DecodeLine(tok, row, inputPath, lineNo) : EncodeLine(tok, row, inputPath, lineNo));
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(outputPath))!);
        IdLines.WriteAtomically(outputPath, lines);
        ctx.Error.WriteLine($"{(decode ? "decoded" : "encoded")} {lines.Count} lines -> {outputPath}");
        return ExitCodes.Ok;
    }

    private static string EncodeLine(Tokenizer tok, JsonObject row, string file, int line)
    {
        if (row["text"] is not JsonValue v || !v.TryGetValue(out string? text))
            throw new UsageException($"{file}:{line}: field \"text\" must be a string");
        return new JsonObject { ["ids"] = new JsonArray(tok.Encode(text).Select(i => (JsonNode)i).ToArray()) }.ToJsonString();
    }

    private static string DecodeLine(Tokenizer tok, JsonObject row, string file, int line)
    {
        if (row["ids"] is not JsonArray arr) throw new UsageException($"{file}:{line}: field \"ids\" must be a list of integers");
        var ids = new int[arr.Count];
        for (int i = 0; i < arr.Count; i++)
        {
            if (arr[i] is not JsonValue iv || !iv.TryGetValue(out int id))
                throw new UsageException($"{file}:{line}: field \"ids[{i}]\" must be an integer");
            ids[i] = id;
        }
        string text;
        try { text = tok.Decode(ids); }
        catch (TokenizerException e) { throw new UsageException($"{file}:{line}: {e.Message}"); }
        return new JsonObject { ["text"] = text }.ToJsonString(new JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping });
    }
}
