using Alignment.Models.Llama;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training.Features;

namespace Alignment.Training.Runtime;

/// <summary>Loading a stage's tokenizer, chat template and tokenized data, with the checks that belong to them.</summary>
public static class StageData
{
    public static (Tokenizer tokenizer, ChatTemplate template) Tokenizer(string modelFolder, string? templateName)
    {
        try
        {
            var tok = Alignment.Tokenizers.Tokenizer.FromFile(modelFolder);
            var template = ChatTemplates.For(tok, string.IsNullOrWhiteSpace(templateName) ? null : templateName);
            return (tok, template);
        }
        catch (TokenizerException e)
        {
            throw new ConfigException($"{modelFolder}: {e.Message}");
        }
    }

    public static Featurizer Featurizer(CommonOptions o, string source)
    {
        var (tok, template) = Tokenizer(o.Model!, o.Template);
        return new Featurizer(tok, template, o.MaxLength, source);
    }

    /// <summary>Reads and tokenizes a file; every row's ids must fit the model's vocabulary.</summary>
    public static List<TF> Load<TE, TF>(string path, DatasetKind kind, string stage, Func<string, List<TE>> read, Func<TE, TF> featurize,
                                        Func<TF, IEnumerable<int>> ids, int vocab, Func<TE, int> line)
    {
        DatasetShape.Require(path, kind, stage);
        var rows = read(path);
        var result = new List<TF>(rows.Count);
        foreach (var row in rows)
        {
            var f = featurize(row);
            foreach (int id in ids(f))
                if (id < 0 || id >= vocab)
                    throw new DatasetException($"{path}:{line(row)}: token id {id} is outside the model's vocabulary [0, {vocab}); the tokenizer does not belong to this model");
            result.Add(f);
        }
        return result;
    }

    /// <summary>The id used for padding (masked everywhere, so any valid id works): pad, else eos, else 0.</summary>
    public static int PadId(Tokenizer tok, LlamaConfig config) =>
        config.PadTokenId is int p && p >= 0 && p < config.Vocab ? p : tok.Pad?.Id ?? tok.Eos?.Id ?? config.EosTokenId?.FirstOrDefault() ?? 0;

    /// <summary>The ids that end a generated answer: config.json's eos_token_id(s), the tokenizer's eos token and the chat
    /// template's end-of-turn token (when a template is used).</summary>
    public static long[] StopIds(LlamaConfig config, Tokenizer tok, Alignment.Tokenizers.Chat.ChatTemplate? template)
    {
        var eos = new HashSet<long>(config.EosTokenId?.Select(e => (long)e) ?? []);
        if (tok.Eos is { } e) eos.Add(e.Id);
        if (template != null && tok.TokenToId(template.EndOfTurn(tok)) is int eot) eos.Add(eot);
        return eos.Order().ToArray();
    }

    public static LlamaConfig ModelConfig(string folder)
    {
        try
        {
            return LlamaConfig.Load(folder);
        }
        catch (Alignment.Models.ModelException e)
        {
            throw new ConfigException(e.Message);
        }
    }
}
