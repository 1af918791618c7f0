using System.Text;
using System.Text.Json;
using Alignment.Cli.Runtime;

namespace Alignment.Cli.Commands;

/// <summary>JSONL files of token ids: reading <c>{"ids": [...]}</c> lines with file:line errors, and writing result
/// lines atomically.</summary>
public static class IdLines
{
    /// <summary>Reads every line of <paramref name="path"/> as an object with an "ids" array of whole numbers in
    /// [0, <paramref name="vocab"/>). Other keys are ignored.</summary>
    /// <exception cref="UsageException">"FILE:LINE: what is wrong", for the first bad line.</exception>
    public static List<long[]> Read(string path, long vocab, string vocabSource)
    {
        if (!File.Exists(path)) throw new UsageException($"{path}: input file not found");
        var result = new List<long[]>();
        int lineNumber = 0;
        foreach (string line in Alignment.Tokenizers.Utf8Text.ReadAllLines(path))
        {
            lineNumber++;
            string where = $"{path}:{lineNumber}";
            if (string.IsNullOrWhiteSpace(line))
                throw new UsageException($"{where}: empty line; every line must be an object such as {{\"ids\": [1, 2, 3]}}");
            result.Add(Parse(line, where, vocab, vocabSource));
        }
        return result;
    }

    private static long[] Parse(string line, string where, long vocab, string vocabSource)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new UsageException($"{where}: not valid JSON ({e.Message})");
        }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object || !doc.RootElement.TryGetProperty("ids", out var ids) || ids.ValueKind != JsonValueKind.Array)
                throw new UsageException($"{where}: expected an object with an \"ids\" array of token ids, e.g. {{\"ids\": [1, 2, 3]}}");
            var values = new long[ids.GetArrayLength()];
            int i = 0;
            foreach (var e in ids.EnumerateArray())
            {
                if (e.ValueKind != JsonValueKind.Number || !e.TryGetInt64(out long id))
                    throw new UsageException($"{where}: ids[{i}] is {e.GetRawText()}, not a whole number");
                if (id < 0 || id >= vocab)
                    throw new UsageException($"{where}: ids[{i}] = {id} is outside the vocabulary [0, {vocab}) of {vocabSource}");
                values[i++] = id;
            }
            return values;
        }
    }

    /// <summary>Writes <paramref name="lines"/> to <paramref name="path"/> through a temporary file beside it that is
    /// renamed over the target only when complete.</summary>
    public static void WriteAtomically(string path, IEnumerable<string> lines)
    {
        string full = Path.GetFullPath(path);
        string dir = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(dir)) throw new UsageException($"{path}: the output folder {dir} does not exist");
        string tmp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
                foreach (string line in lines)
                {
                    w.Write(line);
                    w.Write('\n');
                }
            File.Move(tmp, full, overwrite: true);
        }
        catch
        {
            File.Delete(tmp);
            throw;
        }
    }

    /// <summary>One output line: <c>{"logprobs":[null,-1.25,...]}</c>, each value written as its float32 shortest
    /// round-trip form.</summary>
    public static string LogprobsLine(double?[] logprobs)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            w.WriteStartArray("logprobs");
            foreach (var v in logprobs)
            {
                if (v is double d) w.WriteNumberValue((float)d);
                else w.WriteNullValue();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
