using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Tokenizers;

using Alignment.Tokenizers.Chat;

namespace Alignment.Training.Datasets;

/// <summary>A malformed data row: the message names the file, the line and the field.</summary>
public sealed class DatasetException(string message) : Exception(message);

/// <summary>
/// Reads JSONL data sets in TRL's shapes: SFT `{"messages": [...]}` or `{"prompt", "completion"}` (also Alpaca
/// `{"instruction", "input", "output"}` and ShareGPT `{"conversations": [{"from", "value"}]}`), preference
/// `{"prompt", "chosen", "rejected"}` (+ optional `margin`), unpaired `{"prompt", "completion", "label"}`, and
/// prompt-only `{"prompt"}`, and prompts with a reference answer `{"prompt", "reference"}` (evaluation). Prompts and completions may be strings or message lists (conversational format).
/// Every row is validated; the first bad row throws with `file:line: field "x" ...`. Blank lines are skipped.
/// </summary>
public static class DatasetReader
{
    public static List<SftExample> ReadSft(string path) => Read(path, ParseSft);

    public static List<PreferenceExample> ReadPreferences(string path) => Read(path, ParsePreference);

    public static List<UnpairedExample> ReadUnpaired(string path) => Read(path, ParseUnpaired);

    public static List<PromptExample> ReadPrompts(string path) => Read(path, (o, r) => new PromptExample(ReadPrompt(o, "prompt", r), r.Line));

    public static List<ReferenceExample> ReadReferenced(string path) =>
        Read(path, (o, r) => new ReferenceExample(ReadPrompt(o, "prompt", r), ReadString(o, "reference", r), r.Line));

    private static List<T> Read<T>(string path, Func<JsonObject, RowContext, T> parse)
    {
        if (!File.Exists(path)) throw new DatasetException($"{path}: file not found");
        var rows = new List<T>();
        int line = 0;
        foreach (string text in Utf8Text.ReadAllLines(path))
        {
            line++;
            if (string.IsNullOrWhiteSpace(text)) continue;
            var ctx = new RowContext(path, line);
            JsonNode? node;
            try { node = JsonNode.Parse(text); }
            catch (JsonException e) { throw new DatasetException($"{path}:{line}: not valid JSON ({e.Message.Split(". ")[0]})"); }
            if (node is not JsonObject obj) throw new DatasetException($"{path}:{line}: each line must be a JSON object");
            rows.Add(parse(obj, ctx));
        }
        if (rows.Count == 0) throw new DatasetException($"{path}: no rows (the file is empty)");
        return rows;
    }

    internal readonly record struct RowContext(string Path, int Line)
    {
        public DatasetException Error(string field, string problem) => new($"{Path}:{Line}: field \"{field}\" {problem}");
    }

    private static SftExample ParseSft(JsonObject o, RowContext r)
    {
        if (o.ContainsKey("messages")) return new SftExample(ReadMessages(o["messages"], "messages", r, requireAssistant: true), null, null, r.Line);
        if (o.ContainsKey("conversations")) return new SftExample(ReadShareGpt(o["conversations"], r), null, null, r.Line);
        if (o.ContainsKey("instruction"))
        {
            string instruction = ReadString(o, "instruction", r);
            string input = o.ContainsKey("input") ? ReadString(o, "input", r, allowEmpty: true) : "";
            string output = ReadString(o, "output", r);
            string user = input.Length == 0 ? instruction : instruction + "\n\n" + input;
            var msgs = new List<ChatMessage>();
            if (o.ContainsKey("system")) msgs.Add(new ChatMessage("system", ReadString(o, "system", r, allowEmpty: true)));
            msgs.Add(new ChatMessage("user", user));
            msgs.Add(new ChatMessage("assistant", output));
            return new SftExample(msgs, null, null, r.Line);
        }
        if (o.ContainsKey("prompt") || o.ContainsKey("completion"))
            return new SftExample(null, ReadPrompt(o, "prompt", r), ReadCompletion(o, "completion", r), r.Line);
        throw new DatasetException($"{r.Path}:{r.Line}: not an SFT row; expected \"messages\", \"prompt\"+\"completion\", Alpaca \"instruction\"+\"output\" or ShareGPT \"conversations\"");
    }

    private static PreferenceExample ParsePreference(JsonObject o, RowContext r)
    {
        var prompt = ReadPrompt(o, "prompt", r);
        var chosen = ReadCompletion(o, "chosen", r);
        var rejected = ReadCompletion(o, "rejected", r);
        double? margin = null;
        if (o["margin"] is JsonNode m)
        {
            if (m is not JsonValue mv || !mv.TryGetValue(out double d) || !double.IsFinite(d)) throw r.Error("margin", "must be a number");
            margin = d;
        }
        return new PreferenceExample(prompt, chosen, rejected, margin, r.Line);
    }

    private static UnpairedExample ParseUnpaired(JsonObject o, RowContext r)
    {
        var prompt = ReadPrompt(o, "prompt", r);
        var completion = ReadCompletion(o, "completion", r);
        if (o["label"] is not JsonValue lv || !lv.TryGetValue(out bool label)) throw r.Error("label", "must be true (desirable) or false (undesirable)");
        return new UnpairedExample(prompt, completion, label, r.Line);
    }

    private static Prompt ReadPrompt(JsonObject o, string field, RowContext r)
    {
        var node = o[field];
        if (node is null) throw r.Error(field, o.ContainsKey(field) ? "is null" : "is missing");
        if (node is JsonArray) return Prompt.FromMessages(ReadMessages(node, field, r, requireAssistant: false));
        return Prompt.FromText(ReadString(o, field, r, allowEmpty: true));
    }

    private static Completion ReadCompletion(JsonObject o, string field, RowContext r)
    {
        var node = o[field];
        if (node is null) throw r.Error(field, o.ContainsKey(field) ? "is null" : "is missing");
        if (node is JsonArray) return new Completion(null, ReadMessages(node, field, r, requireAssistant: true));
        return new Completion(ReadString(o, field, r), null);
    }

    private static string ReadString(JsonObject o, string field, RowContext r, bool allowEmpty = false)
    {
        var node = o[field];
        if (node is null) throw r.Error(field, o.ContainsKey(field) ? "is null" : "is missing");
        if (node is not JsonValue v || !v.TryGetValue(out string? s)) throw r.Error(field, "must be a string");
        if (!allowEmpty && s.Length == 0) throw r.Error(field, "is empty");
        return s;
    }

    private static List<ChatMessage> ReadMessages(JsonNode? node, string field, RowContext r, bool requireAssistant)
    {
        if (node is not JsonArray arr || arr.Count == 0) throw r.Error(field, "must be a non-empty list of {\"role\", \"content\"} messages");
        var list = new List<ChatMessage>(arr.Count);
        for (int i = 0; i < arr.Count; i++)
        {
            if (arr[i] is not JsonObject m) throw r.Error($"{field}[{i}]", "must be an object with \"role\" and \"content\"");
            if (m["role"] is not JsonValue rv || !rv.TryGetValue(out string? role) || role is not ("system" or "user" or "assistant"))
                throw r.Error($"{field}[{i}].role", "must be \"system\", \"user\" or \"assistant\"");
            if (m["content"] is not JsonValue cv || !cv.TryGetValue(out string? content))
                throw r.Error($"{field}[{i}].content", "must be a string");
            list.Add(new ChatMessage(role, content));
        }
        if (requireAssistant && !list.Any(m => m.Role == "assistant")) throw r.Error(field, "has no assistant message to learn from");
        return list;
    }

    private static List<ChatMessage> ReadShareGpt(JsonNode? node, RowContext r)
    {
        if (node is not JsonArray arr || arr.Count == 0) throw r.Error("conversations", "must be a non-empty list of {\"from\", \"value\"}");
        var list = new List<ChatMessage>(arr.Count);
        for (int i = 0; i < arr.Count; i++)
        {
            if (arr[i] is not JsonObject m) throw r.Error($"conversations[{i}]", "must be an object with \"from\" and \"value\"");
            if (m["from"] is not JsonValue fv || !fv.TryGetValue(out string? from)) throw r.Error($"conversations[{i}].from", "must be a string");
            string role = from switch
            {
                "system" => "system",
                "human" or "user" => "user",
                "gpt" or "assistant" => "assistant",
                _ => throw r.Error($"conversations[{i}].from", $"'{from}' is not one of system, human, gpt"),
            };
            if (m["value"] is not JsonValue vv || !vv.TryGetValue(out string? value)) throw r.Error($"conversations[{i}].value", "must be a string");
            list.Add(new ChatMessage(role, value));
        }
        if (!list.Any(m => m.Role == "assistant")) throw r.Error("conversations", "has no gpt turn to learn from");
        return list;
    }
}
