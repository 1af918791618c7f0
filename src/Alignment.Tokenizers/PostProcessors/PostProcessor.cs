using Alignment.Tokenizers.Json;

namespace Alignment.Tokenizers.PostProcessors;

/// <summary>
/// tokenizer.json <c>post_processor</c>: what <c>add_special_tokens</c> adds around one encoded
/// sequence (Llama's BOS, BERT's CLS/SEP). Pairs of sequences are not supported.
/// </summary>
internal abstract class PostProcessor
{
    public abstract List<int> Process(List<int> ids);

    public const string Supported = "TemplateProcessing, ByteLevel, RobertaProcessing, BertProcessing, Sequence";

    public static PostProcessor? Load(JsonCursor json)
    {
        if (json.IsNull) return null;
        var type = json.Child("type");
        return type.GetString() switch
        {
            "TemplateProcessing" => TemplateProcessing.Load(json),
            "ByteLevel" => null,
            "RobertaProcessing" or "BertProcessing" => new WrapProcessing([SecondInt(json.Child("cls"))], [SecondInt(json.Child("sep"))]),
            "Sequence" => new SequenceProcessing(json.Child("processors").Items().Select(Load).OfType<PostProcessor>().ToArray()),
            var other => throw type.Unsupported(other, Supported),
        };
    }

    private static int SecondInt(JsonCursor pair)
    {
        var items = pair.Items().ToArray();
        if (items.Length != 2) throw pair.Error("must be [token, id]");
        return items[1].GetInt();
    }
}

/// <summary>Fixed ids before and after the sequence.</summary>
internal sealed class WrapProcessing(int[] before, int[] after) : PostProcessor
{
    public IReadOnlyList<int> Before => before;
    public IReadOnlyList<int> After => after;

    public override List<int> Process(List<int> ids)
    {
        var result = new List<int>(before.Length + ids.Count + after.Length);
        result.AddRange(before);
        result.AddRange(ids);
        result.AddRange(after);
        return result;
    }
}

internal sealed class SequenceProcessing(PostProcessor[] steps) : PostProcessor
{
    public override List<int> Process(List<int> ids)
    {
        foreach (var step in steps) ids = step.Process(ids);
        return ids;
    }
}

/// <summary>
/// <c>TemplateProcessing</c>'s <c>single</c> template, e.g. <c>[{"SpecialToken": {"id": "&lt;s&gt;"}}, {"Sequence": {"id": "A"}}]</c>,
/// with the ids of each special token from its <c>special_tokens</c> table.
/// </summary>
internal static class TemplateProcessing
{
    public static WrapProcessing Load(JsonCursor json)
    {
        var specials = json.Child("special_tokens");
        var before = new List<int>();
        var after = new List<int>();
        bool seenSequence = false;
        foreach (var item in json.Child("single").Items())
        {
            if (item.Has("Sequence"))
            {
                var seq = item.Child("Sequence").Child("id");
                if (seq.GetString() != "A") throw seq.Error("must be \"A\" in a single-sequence template");
                if (seenSequence) throw item.Error("repeats the sequence");
                seenSequence = true;
            }
            else if (item.Has("SpecialToken"))
            {
                string name = item.Child("SpecialToken").Child("id").GetString();
                var ids = specials.Child(name).Child("ids").Items().Select(i => i.GetInt());
                (seenSequence ? after : before).AddRange(ids);
            }
            else
            {
                throw item.Error("must be {\"SpecialToken\": ...} or {\"Sequence\": ...}");
            }
        }
        return new WrapProcessing(before.ToArray(), after.ToArray());
    }
}
