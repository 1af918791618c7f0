using System.Text.Json.Nodes;
using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Torch;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Runtime;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.GenerateResponses</c>: samples K answers per prompt from a policy (KV-cache generation, seeded) and
/// writes a responses dataset <c>{"prompt", "completion", "model"}</c> ready for CreateComparisons. Prompts are
/// wrapped in the model's chat template; the same seed, model and prompts give the same answers.
/// </summary>
public sealed class GenerateResponsesActivity : IStageActivity
{
    public const string TypeName = "Alignment.GenerateResponses";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Models", "Generate responses",
        "Samples K answers per prompt from a model (seeded) and writes them as a responses dataset for comparisons.",
        [
            new InputDescriptor("model", InputType.Artifact, "The policy model folder.", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Prompts dataset: rows {\"prompt\"} (text or messages).", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("samplesPerPrompt", InputType.Integer, "Answers sampled per prompt (K).", Default: 2, Minimum: 1),
            new InputDescriptor("temperature", InputType.Number, "Sampling temperature (0 = greedy: then K should be 1).", Default: 0.8),
            new InputDescriptor("topP", InputType.Number, "Nucleus sampling threshold.", Default: 0.95),
            new InputDescriptor("maxNewTokens", InputType.Integer, "Most tokens per answer.", Default: 128, Minimum: 1),
            new InputDescriptor("maxPromptLength", InputType.Integer, "Prompts longer than this keep their last tokens.", Default: 512, Minimum: 1),
            new InputDescriptor("batchSize", InputType.Integer, "Sequences generated together.", Default: 8, Minimum: 1),
            new InputDescriptor("template", InputType.String, "Chat template name, or 'auto' to recognize it from tokenizer_config.json.", Default: "auto"),
            new InputDescriptor("seed", InputType.Integer, "Seed of the sampling generator.", Default: 0, Minimum: 0),
            new InputDescriptor("label", InputType.String, "Name recorded in each row's \"model\" field (hidden from annotators).", Default: "policy"),
        ],
        [
            new OutputDescriptor("responses", OutputType.Artifact, "Responses dataset: {\"prompt\", \"completion\", \"model\"} rows, K per prompt.", ArtifactKind.Dataset),
            new OutputDescriptor("rows", OutputType.Number, "Number of responses written."),
            new OutputDescriptor("meanLength", OutputType.Number, "Mean answer length in tokens."),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        int k = inputs.Int("samplesPerPrompt"), batchSize = inputs.Int("batchSize"), maxNew = inputs.Int("maxNewTokens");
        double temperature = inputs.Double("temperature");
        if (k < 1) throw new WorkflowException($"samplesPerPrompt must be at least 1, got {k}");
        if (batchSize < 1) throw new WorkflowException($"batchSize must be at least 1, got {batchSize}");
        if (temperature < 0) throw new WorkflowException($"temperature must be 0 (greedy) or positive, got {temperature}");

        string modelDir = inputs.Artifact("model").Path;
        var prompts = DatasetReader.ReadPrompts(inputs.Artifact("prompts").Path);
        var tokenizer = Tokenizer.FromFile(modelDir);
        string templateName = inputs.String("template");
        var template = ChatTemplates.For(tokenizer, templateName == "auto" ? null : templateName);
        var featurizer = new Featurizer(tokenizer, template, maxLength: int.MaxValue, source: "prompts");
        var encoded = prompts.Select(p => featurizer.GenerationPrompt(p.Prompt, inputs.Int("maxPromptLength"), p.Line).Select(i => (long)i).ToArray()).ToList();

        using var model = LlamaForCausalLM.from_pretrained(modelDir);
        model.eval();
        var eos = new HashSet<long>(StageData.StopIds(model.config, tokenizer, template));
        long pad = StageData.PadId(tokenizer, model.config);
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNew,
            DoSample = temperature > 0,
            Temperature = temperature > 0 ? temperature : 1.0,
            TopP = inputs.Double("topP"),
            EosTokenIds = eos.ToArray(),
            PadTokenId = pad,
        };

        // Rows in a fixed order: prompt i, sample j. One seeded generator walks all batches in that order.
        var jobs = Enumerable.Range(0, prompts.Count).SelectMany(i => Enumerable.Range(0, k).Select(j => i)).ToList();
        var rows = new List<JsonObject>(jobs.Count);
        long totalTokens = 0;
        using var rng = new Generator((ulong)inputs.Long("seed"));
        for (int start = 0; start < jobs.Count; start += batchSize)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            var batch = jobs.Skip(start).Take(batchSize).ToList();
            var results = CausalLMGenerator.Generate(model, batch.Select(i => encoded[i]).ToList(), options, rng);
            for (int r = 0; r < batch.Count; r++)
            {
                var tokens = results[r].Tokens.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray();
                totalTokens += results[r].Tokens.Length;
                rows.Add(new JsonObject
                {
                    ["prompt"] = prompts[batch[r]].Prompt.DisplayText,
                    ["completion"] = tokenizer.Decode(tokens, skipSpecialTokens: true),
                    ["model"] = inputs.String("label"),
                });
            }
            context.Progress((double)Math.Min(jobs.Count, start + batchSize) / jobs.Count, $"{Math.Min(jobs.Count, start + batchSize)}/{jobs.Count} answers");
        }
        context.WriteFile("responses", temp => JsonLines.Write(temp, rows));
        context.SetValue("rows", rows.Count);
        context.SetValue("meanLength", rows.Count == 0 ? 0 : (double)totalTokens / rows.Count);
        context.Log($"{rows.Count} answers to {prompts.Count} prompts, mean {(rows.Count == 0 ? 0 : (double)totalTokens / rows.Count):F1} tokens");
        return Task.FromResult(StageResult.Completed);
    }
}
