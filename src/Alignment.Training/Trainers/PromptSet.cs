using Alignment.Training.Datasets;
using Alignment.Training.Features;

namespace Alignment.Training.Trainers;

/// <summary>One prompt of an online stage: its generation-prompt ids (chat template applied, ending with the assistant
/// header) and its text as the data wrote it (what rule rewards and reference answers are keyed by).</summary>
public sealed record PromptRow(int[] Ids, string Text);

/// <summary>The prompts of an online stage (ppo, grpo, rloo, online-dpo): `{"prompt"}` rows, templated and checked
/// against the vocabulary; errors name the file and line.</summary>
public static class PromptSet
{
    public static List<PromptRow> Load(string data, int maxPromptLength, Alignment.Tokenizers.Tokenizer tok, Alignment.Tokenizers.Chat.ChatTemplate template, int vocab)
    {
        var featurizer = new Featurizer(tok, template, Math.Max(2, maxPromptLength), data);
        var rows = DatasetReader.ReadPrompts(data);
        var prompts = new List<PromptRow>(rows.Count);
        foreach (var row in rows)
        {
            var ids = featurizer.GenerationPrompt(row.Prompt, maxPromptLength, row.Line);
            if (ids.Length == 0) throw new DatasetException($"{data}:{row.Line}: field \"prompt\" encodes to no tokens");
            if (ids.Any(id => id < 0 || id >= vocab)) throw new DatasetException($"{data}:{row.Line}: a token id is outside the model's vocabulary [0, {vocab})");
            prompts.Add(new PromptRow(ids, row.Prompt.DisplayText));
        }
        return prompts;
    }
}
