using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Tokenizers.Chat;
using Alignment.Torch;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Runtime;
using static Alignment.Torch.torch;

namespace Alignment.Training.Trainers;

/// <summary>
/// Unsupervised prefix fine-tuning (<see cref="UpftOptions"/>). Before training, the model (with its fine-tuning
/// adapter, still untrained) samples one answer per prompt; which prompts keep their full answer is drawn once from the
/// seed (round(full_answer_ratio · prompts) of them). Prefix examples are prompt (+ prefix_instruction) followed by the
/// first prefix_length sampled tokens, with no end-of-turn token (the answer is cut, not finished); full examples are
/// prompt + the whole answer (its end token included when sampling stopped on one). The sampled token ids are trained
/// on as they are (no decode and re-encode), with SFT's loss over the answer tokens. Sampling is seeded, so a resumed
/// run samples the same data.
/// <para>Data parallel: every rank samples the whole data set with the same seed and the same starting weights, in
/// batches of batch_size × processes prompts (the global batch, so N processes × batch b sample what one process × batch
/// N·b does), so all hold the same examples; training is SFT's sharded <see cref="SupervisedLoop"/>, and rank 0 writes
/// the samples file. A checkpoint keeps the sampling batch, so a resume (at another world size too, with
/// allow_world_size_change) samples the same examples.</para>
/// </summary>
public static class UpftTrainer
{
    public const string Stage = "upft";

    /// <summary>Examples written beside the run for inspection: one JSON line per example.</summary>
    public const string SamplesFile = "upft_samples.jsonl";

    public static RunResult Run(UpftOptions options, string outputDir, ITrainingProgress? progress = null, RunHooks? hooks = null)
    {
        using var start = TrainerStart.Open(Stage, options, outputDir, progress, dataParallel: true, reshards: true);
        (var session, var config, var tok, var template, var pad, progress) = start;
        var rows = DatasetReader.ReadPrompts(options.Data!);
        if (rows.Count == 0) throw new DatasetException($"{options.Data}: no prompts");
        var full = FullAnswerRows(rows.Count, options.FullAnswerRatio, options.Seed);

        var featurizer = new Featurizer(tok, template, Math.Max(2, options.MaxPromptLength), options.Data!);
        var prompts = new List<int[]>(rows.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var prompt = full.Contains(i) || options.PrefixInstruction.Length == 0 ? rows[i].Prompt : WithInstruction(rows[i].Prompt, options.PrefixInstruction);
            var ids = featurizer.GenerationPrompt(prompt, options.MaxPromptLength, rows[i].Line);
            if (ids.Length == 0) throw new DatasetException($"{options.Data}:{rows[i].Line}: field \"prompt\" encodes to no tokens");
            if (ids.Any(id => id < 0 || id >= config.Vocab)) throw new DatasetException($"{options.Data}:{rows[i].Line}: a token id is outside the model's vocabulary [0, {config.Vocab})");
            prompts.Add(ids);
        }

        using var init = new Generator(options.Seed);
        using var model = TrainableModel.CausalLm(options, init);
        var generation = new GenerationOptions
        {
            DoSample = true, Temperature = options.Temperature, TopP = options.TopP, PadTokenId = pad,
            EosTokenIds = StageData.StopIds(config, tok, template),
        };
        int samplingBatch = session.Resumed?.Scalars.TryGetValue(SamplingBatchKey, out double kept) == true
            ? (int)kept
            : options.BatchSize * session.Parallel.WorldSize;
        var examples = Sample(model.LanguageModel!, prompts, rows, full, generation, options, samplingBatch);
        if (session.Parallel.IsMain) WriteSamples(Path.Combine(session.Store.OutputDir, SamplesFile), examples, prompts, tok);
        var objective = new SftObjective(model.LanguageModel!, pad);
        return SupervisedLoop.Run(session, model, examples.Select(e => e.features).ToList(), objective, null, progress, hooks,
                                  new Dictionary<string, double> { [SamplingBatchKey] = samplingBatch });
    }

    /// <summary>trainer_state.json's record of how many prompts were sampled together (the examples depend on it).</summary>
    public const string SamplingBatchKey = "upft_sampling_batch";

    /// <summary>The rows that keep their full answer: round(ratio · n) of them, drawn without replacement from the seed.</summary>
    public static HashSet<int> FullAnswerRows(int n, double ratio, ulong seed)
    {
        int count = (int)Math.Round(ratio * n, MidpointRounding.AwayFromZero);
        var rng = new Random(unchecked((int)(seed ^ (seed >> 32))));
        return Enumerable.Range(0, n).OrderBy(_ => rng.Next()).Take(count).ToHashSet();
    }

    private static Prompt WithInstruction(Prompt prompt, string instruction)
    {
        if (prompt.Messages is null) return prompt with { Text = prompt.Text + instruction };
        int last = prompt.Messages.ToList().FindLastIndex(m => m.Role == "user");
        if (last < 0) return prompt;
        var messages = prompt.Messages.ToList();
        messages[last] = messages[last] with { Content = messages[last].Content + instruction };
        return prompt with { Messages = messages };
    }

    private static List<(SftFeatures features, int row, bool full)> Sample(LlamaForCausalLM model, List<int[]> prompts, List<PromptExample> rows,
                                                                       HashSet<int> full, GenerationOptions generation, UpftOptions o, int batchSize)
    {
        var result = new List<(SftFeatures, int, bool)>(prompts.Count);
        using var sampling = new Generator(o.Seed ^ 0x5EED);
        bool training = model.training;
        model.eval();
        try
        {
            for (int start = 0; start < prompts.Count; start += batchSize)
            {
                var indices = Enumerable.Range(start, Math.Min(batchSize, prompts.Count - start)).ToList();
                // One call per kind, so a prefix row stops after prefix_length tokens.
                foreach (bool isFull in new[] { false, true })
                {
                    var batch = indices.Where(i => full.Contains(i) == isFull).ToList();
                    if (batch.Count == 0) continue;
                    var outs = CausalLMGenerator.Generate(model, batch.Select(i => prompts[i].Select(x => (long)x).ToArray()).ToList(),
                                                          generation with { MaxNewTokens = isFull ? o.MaxNewTokens : o.PrefixLength }, sampling);
                    for (int k = 0; k < batch.Count; k++)
                    {
                        var answer = outs[k].Tokens.Select(t => (int)t).ToArray();
                        var ids = prompts[batch[k]].Concat(answer).ToArray();
                        ids = ids[..Math.Min(ids.Length, o.MaxLength)];   // a full answer may be cut; every prefix fits (Validate)
                        var labels = ids.Select((t, j) => j >= prompts[batch[k]].Length ? t : SftFeatures.IgnoreIndex).ToArray();
                        result.Add((new SftFeatures(ids, labels, rows[batch[k]].Line), batch[k], isFull));
                    }
                }
            }
        }
        finally
        {
            model.train(training);
        }
        return result.OrderBy(e => e.Item2).ToList();
    }

    private static void WriteSamples(string path, List<(SftFeatures features, int row, bool full)> examples, List<int[]> prompts, Alignment.Tokenizers.Tokenizer tok)
    {
        using var w = new StreamWriter(path);
        foreach (var (f, row, isFull) in examples)
        {
            var answer = f.InputIds[prompts[row].Length..];
            w.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                line = f.Line, full = isFull, prompt = tok.Decode(prompts[row]), answer = tok.Decode(answer), answer_ids = answer,
            }));
        }
    }
}
