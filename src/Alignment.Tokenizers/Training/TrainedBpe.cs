using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace Alignment.Tokenizers.Training;

/// <summary>
/// The result of <see cref="BpeTrainer.Train"/>: tokens by id (bytes, merged tokens, special tokens)
/// and the merges in rank order, written as a Hugging Face tokenizer.json in Llama 3's layout.
/// </summary>
public sealed class TrainedBpe
{
    private readonly List<string> _tokens;
    private readonly BpeTrainerOptions _options;

    internal TrainedBpe(List<string> tokens, List<(string Left, string Right)> merges, BpeTrainerOptions options)
    {
        _tokens = tokens;
        Merges = merges;
        _options = options;
    }

    /// <summary>Tokens of the BPE model, by id; the special tokens follow with the next ids.</summary>
    public IReadOnlyList<string> Tokens => _tokens;

    /// <summary>Merges in rank order (the first is applied first).</summary>
    public IReadOnlyList<(string Left, string Right)> Merges { get; }

    public IReadOnlyList<string> SpecialTokens => _options.SpecialTokens;

    public int VocabSize => _tokens.Count + _options.SpecialTokens.Count;

    /// <summary>The tokenizer, loaded from the tokenizer.json and tokenizer_config.json this writes.</summary>
    public Tokenizer ToTokenizer() => Tokenizer.FromJson(ToTokenizerJson(), TokenizerConfig.Parse(ToTokenizerConfigJson()));

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="directory"/> (created if needed).</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "tokenizer.json"), ToTokenizerJson(), new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(directory, "tokenizer_config.json"), ToTokenizerConfigJson(), new UTF8Encoding(false));
    }

    public string ToTokenizerJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (int i = 0; i < _options.SpecialTokens.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", _tokens.Count + i);
                w.WriteString("content", _options.SpecialTokens[i]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");

            w.WriteStartObject("pre_tokenizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("pretokenizers");
            w.WriteStartObject();
            w.WriteString("type", "Split");
            w.WriteStartObject("pattern");
            w.WriteString("Regex", _options.SplitPattern);
            w.WriteEndObject();
            w.WriteString("behavior", "Isolated");
            w.WriteBoolean("invert", false);
            w.WriteEndObject();
            WriteByteLevel(w, null, addPrefixSpace: false, trimOffsets: true, useRegex: false);
            w.WriteEndArray();
            w.WriteEndObject();

            WriteByteLevel(w, "post_processor", addPrefixSpace: true, trimOffsets: false, useRegex: true);
            WriteByteLevel(w, "decoder", addPrefixSpace: true, trimOffsets: true, useRegex: true);

            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            for (int id = 0; id < _tokens.Count; id++) w.WriteNumber(_tokens[id], id);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (left, right) in Merges)
            {
                w.WriteStartArray();
                w.WriteStringValue(left);
                w.WriteStringValue(right);
                w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    public string ToTokenizerConfigJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            w.WriteBoolean("add_bos_token", false);
            w.WriteBoolean("add_eos_token", false);
            WriteOptional("bos_token", _options.BosToken);
            WriteOptional("eos_token", _options.EosToken);
            WriteOptional("pad_token", _options.PadToken);
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            w.WriteEndObject();

            void WriteOptional(string name, string? value)
            {
                if (value is null) w.WriteNull(name);
                else w.WriteString(name, value);
            }
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private static void WriteByteLevel(Utf8JsonWriter w, string? property, bool addPrefixSpace, bool trimOffsets, bool useRegex)
    {
        if (property is null) w.WriteStartObject();
        else w.WriteStartObject(property);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", addPrefixSpace);
        w.WriteBoolean("trim_offsets", trimOffsets);
        w.WriteBoolean("use_regex", useRegex);
        w.WriteEndObject();
    }
}
