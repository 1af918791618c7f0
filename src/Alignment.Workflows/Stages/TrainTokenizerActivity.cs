using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Tokenizers.Chat.Templates;
using Alignment.Tokenizers.Training;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.TrainTokenizer</c>: learns a byte-level BPE tokenizer (GPT-2 / Llama 3 style, <see cref="BpeTrainer"/>)
/// from the text of one to three dataset artifacts and writes a tokenizer folder: tokenizer.json and
/// tokenizer_config.json with the chat template's special tokens (eos, pad) and its Jinja <c>chat_template</c>, so
/// every later stage recognizes the template with <c>template: auto</c>. The corpus is every string value of every row
/// (message contents, prompts, completions, roles), in file order; the same data and inputs give the same bytes.
/// The artifact is a tokenizer-only folder stored with kind <c>model</c> (no weights: CreateModel adds them).
/// </summary>
public sealed class TrainTokenizerActivity : IStageActivity
{
    public const string TypeName = "Alignment.TrainTokenizer";

    /// <summary>Special tokens of the ChatML template, in id order after the learned tokens.</summary>
    public static readonly IReadOnlyList<string> ChatMlSpecialTokens = ["<|endoftext|>", ChatMlTemplate.ImStart, ChatMlTemplate.ImEnd];

    /// <summary>A Jinja ChatML template: what Hugging Face's apply_chat_template renders and our recognizer maps to <c>chatml</c>.</summary>
    public const string ChatMlJinja =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Models", "Train tokenizer",
        "Learns a byte-level BPE tokenizer from the text of datasets; writes tokenizer.json and tokenizer_config.json (chat template, special tokens).",
        [
            new InputDescriptor("dataset", InputType.Artifact, "Text to learn from: every string field of every row.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("dataset2", InputType.Artifact, "More text (optional).", ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("dataset3", InputType.Artifact, "More text (optional).", ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("vocabSize", InputType.Integer, "Whole vocabulary: 256 byte tokens + learned merges + special tokens (at least 259).", Default: 512),
            new InputDescriptor("minFrequency", InputType.Integer, "A pair seen fewer times is never merged (training may stop below vocabSize).", Default: 2, Minimum: 1),
            new InputDescriptor("template", InputType.String, "Chat template whose special tokens and Jinja source are written.", Default: "chatml", Choices: ["chatml"]),
        ],
        [
            new OutputDescriptor("tokenizer", OutputType.Artifact, "Tokenizer folder (tokenizer.json, tokenizer_config.json; no weights).", ArtifactKind.Model) { TokenizerOnly = true },
            new OutputDescriptor("vocabSize", OutputType.Number, "Size of the vocabulary learned (special tokens included)."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        int vocabSize = inputs.Int("vocabSize"), minFrequency = inputs.Int("minFrequency");
        int minimum = 256 + ChatMlSpecialTokens.Count;
        if (vocabSize < minimum) throw new WorkflowException($"input 'vocabSize': {vocabSize} is too small; the 256 byte tokens and {ChatMlSpecialTokens.Count} special tokens need at least {minimum}");
        if (minFrequency < 1) throw new WorkflowException($"input 'minFrequency' must be at least 1, got {minFrequency}");

        var corpus = new List<string>();
        foreach (string name in new[] { "dataset", "dataset2", "dataset3" }.Where(inputs.Has))
        {
            var artifact = inputs.Artifact(name);
            int before = corpus.Count;
            foreach (var (_, row) in JsonLines.Read(artifact.Path, $"input '{name}' ({artifact.Hash[..12]})")) CollectText(row, corpus);
            context.Log($"input '{name}': {corpus.Count - before} texts");
        }
        if (corpus.Count == 0) throw new WorkflowException("the datasets hold no text to learn a tokenizer from");

        context.Progress(0.1, $"learning {vocabSize} tokens from {corpus.Count} texts");
        var bpe = BpeTrainer.Train(corpus, new BpeTrainerOptions
        {
            VocabSize = vocabSize,
            MinFrequency = minFrequency,
            SpecialTokens = ChatMlSpecialTokens,
            EosToken = ChatMlTemplate.ImEnd,
            PadToken = "<|endoftext|>",
        });
        context.WriteFolder("tokenizer", dir =>
        {
            var utf8 = new UTF8Encoding(false);
            File.WriteAllText(Path.Combine(dir, "tokenizer.json"), bpe.ToTokenizerJson(), utf8);
            var config = JsonNode.Parse(bpe.ToTokenizerConfigJson())!.AsObject();
            config["chat_template"] = ChatMlJinja;
            config["model_max_length"] = 2048;
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n", utf8);
        });
        context.SetValue("vocabSize", bpe.VocabSize);
        context.Log($"byte-level BPE: {bpe.VocabSize} tokens ({bpe.Merges.Count} merges, {ChatMlSpecialTokens.Count} special)");
        return Task.FromResult(StageResult.Completed);
    }

    /// <summary>Adds every string value under <paramref name="node"/> (objects in property order, arrays in order).</summary>
    internal static void CollectText(JsonNode? node, List<string> texts)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, value) in obj) CollectText(value, texts);
                break;
            case JsonArray array:
                foreach (var item in array) CollectText(item, texts);
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                string text = value.GetValue<string>();
                if (text.Length > 0) texts.Add(text);
                break;
        }
    }
}
