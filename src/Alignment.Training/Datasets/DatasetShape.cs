using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Tokenizers;

namespace Alignment.Training.Datasets;

/// <summary>The TRL shape of a data file, judged from its first row, so that a stage given the wrong kind of data
/// (pairs given to SFT, say) says so instead of reporting a missing field.</summary>
public enum DatasetKind
{
    Sft,
    Preference,
    Unpaired,
    PromptOnly,
    Unknown,
}

public static class DatasetShape
{
    public static DatasetKind Detect(string path)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: file not found");
        foreach (string line in Utf8Text.ReadAllLines(path))
        {
            if (string.IsNullOrWhiteSpace(line)) continue;
            JsonObject? o;
            try { o = JsonNode.Parse(line) as JsonObject; }
            catch (JsonException) { return DatasetKind.Unknown; }   // the reader reports the line
            if (o is null) return DatasetKind.Unknown;
            // Judged generously (a row missing one field is left to the reader, which names the field and line).
            if (o.ContainsKey("chosen") || o.ContainsKey("rejected")) return DatasetKind.Preference;
            if (o.ContainsKey("label")) return DatasetKind.Unpaired;
            if (o.ContainsKey("messages") || o.ContainsKey("conversations") || o.ContainsKey("instruction") || o.ContainsKey("completion")) return DatasetKind.Sft;
            if (o.ContainsKey("prompt")) return DatasetKind.PromptOnly;
            return DatasetKind.Unknown;
        }
        throw new DatasetException($"{path}: no rows (the file is empty)");
    }

    /// <summary>Throws when the file's first row is clearly another stage's shape.</summary>
    public static void Require(string path, DatasetKind expected, string stage)
    {
        var kind = Detect(path);
        if (kind == expected || kind == DatasetKind.Unknown) return;
        string what = kind switch
        {
            DatasetKind.Preference => "preference pairs {\"prompt\",\"chosen\",\"rejected\"} (for rm or dpo)",
            DatasetKind.Unpaired => "unpaired rows {\"prompt\",\"completion\",\"label\"} (for kto)",
            DatasetKind.Sft => "SFT rows {\"messages\"} or {\"prompt\",\"completion\"} (for sft)",
            _ => "prompts only {\"prompt\"} (for ppo or best-of-n)",
        };
        string want = expected switch
        {
            DatasetKind.Preference => "{\"prompt\",\"chosen\",\"rejected\"}",
            DatasetKind.Unpaired => "{\"prompt\",\"completion\",\"label\"}",
            DatasetKind.Sft => "{\"messages\"} or {\"prompt\",\"completion\"}",
            _ => "{\"prompt\"}",
        };
        throw new DatasetException($"{path}:1: this file holds {what}, but `{stage}` trains on {want} rows");
    }
}
