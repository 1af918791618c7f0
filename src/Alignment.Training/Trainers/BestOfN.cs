using System.Text.Json;
using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Torch;
using Alignment.Training.Config;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Runtime;
using Alignment.Training.Checkpoints;

namespace Alignment.Training.Trainers;

/// <summary>`align train best-of-n`: sample n completions per prompt, keep the one the reward model scores highest, and
/// write an SFT data set (rejection sampling / RAFT).</summary>
public sealed class BestOfNOptions
{
    [Option("model", "Policy folder to sample from (config, weights, tokenizer).")]
    public string? Model { get; set; }

    [Option("reward_model", "Reward model folder that scores the samples.")]
    public string? RewardModel { get; set; }

    [Option("data", "Prompts, JSONL {\"prompt\"} (extra fields are ignored).")]
    public string? Data { get; set; }

    [StageInput("template", "Chat template name, or 'auto' to recognize it from tokenizer_config.json.", Default = "auto")]
    [Option("template", "Chat template name; empty = recognized from tokenizer_config.json.")]
    public string? Template { get; set; }

    [StageInput("n", "Samples per prompt.", Minimum = 1)]
    [Option("n", "Samples per prompt.")]
    public int N { get; set; } = 4;

    [StageInput("maxNewTokens", "Most tokens per sample (max_new_tokens).", Minimum = 1)]
    [Option("max_new_tokens", "Most tokens per sample.")]
    public int MaxNewTokens { get; set; } = 128;

    [Option("max_prompt_length", "Prompts longer than this keep their end.")]
    public int MaxPromptLength { get; set; } = 256;

    [StageInput("temperature", "Sampling temperature.")]
    [Option("temperature", "Sampling temperature.")]
    public double Temperature { get; set; } = 1.0;

    [Option("top_k", "Sample among the k most likely tokens (0 = all).")]
    public int TopK { get; set; }

    [Option("top_p", "Nucleus sampling threshold (1 = off).")]
    public double TopP { get; set; } = 1.0;

    [StageInput("batchSize", "Prompts sampled together (batch_size).", Minimum = 1)]
    [Option("batch_size", "Prompts sampled together.")]
    public int BatchSize { get; set; } = 8;

    [StageInput("seed", "Seed of the sampling generator.", Minimum = 0)]
    [Option("seed", "Seed of the sampling generator.")]
    public ulong Seed { get; set; } = 42;

    [Option("dtype", "Compute dtype: float32, bfloat16 or float64.")]
    public string Dtype { get; set; } = "float32";

    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Model)) throw new ConfigException("option 'model' is required: the policy folder");
        if (string.IsNullOrWhiteSpace(RewardModel)) throw new ConfigException("option 'reward_model' is required: a reward model folder");
        if (string.IsNullOrWhiteSpace(Data)) throw new ConfigException("option 'data' is required: a prompts JSONL file");
        if (N < 1) throw new ConfigException($"option 'n' must be at least 1, got {N}");
        if (MaxNewTokens < 1 || BatchSize < 1 || MaxPromptLength < 1) throw new ConfigException("options 'max_new_tokens', 'batch_size' and 'max_prompt_length' must be at least 1");
        if (!(Temperature > 0)) throw new ConfigException($"option 'temperature' must be positive, got {Temperature}");
    }
}

public static class BestOfN
{
    public const string OutputFile = "best_of_n.jsonl";
    public const string CandidatesFile = "candidates.jsonl";

    /// <summary>Writes DIR/best_of_n.jsonl ({"prompt","completion","score"} per prompt, the SFT shape) and
    /// DIR/candidates.jsonl (every sample with its score), both atomically. Returns the number of prompts.</summary>
    public static int Run(BestOfNOptions o, string outputDir, ITrainingProgress? progress = null, ISequenceScorer? scorer = null)
    {
        progress ??= NoProgress.Instance;
        o.Validate();
        Distributed.DistributedEnvironment.RequireSingleProcess("best-of-n");
        var dtype = TrainableModel.ParseDtype(o.Dtype);
        var config = StageData.ModelConfig(o.Model!);
        var (tok, template) = StageData.Tokenizer(o.Model!, o.Template);
        int pad = StageData.PadId(tok, config);
        var rows = DatasetReader.ReadPrompts(o.Data!);
        var featurizer = new Featurizer(tok, template, Math.Max(2, o.MaxPromptLength), o.Data!);
        var prompts = rows.Select(r => featurizer.GenerationPrompt(r.Prompt, o.MaxPromptLength, r.Line)).ToList();
        var eos = new HashSet<long>(StageData.StopIds(config, tok, template));
        var generation = new GenerationOptions
        {
            MaxNewTokens = o.MaxNewTokens, DoSample = true, Temperature = o.Temperature, TopK = o.TopK, TopP = o.TopP, EosTokenIds = eos.ToArray(), PadTokenId = pad,
        };

        using var owned = scorer is null ? RewardModelScorer.Load(o.RewardModel!, dtype, pad, o.BatchSize) : null;
        scorer ??= owned!;
        using var policy = LlamaForCausalLM.from_pretrained(o.Model!, dtype);
        policy.eval();
        using var rng = new Generator(o.Seed);
        var best = new List<string>(rows.Count);
        var candidates = new List<string>(rows.Count * o.N);
        progress.Start("best-of-n", 0, rows.Count);
        for (int start = 0; start < rows.Count; start += o.BatchSize)
        {
            var idx = Enumerable.Range(start, Math.Min(o.BatchSize, rows.Count - start)).ToList();
            var batch = idx.SelectMany(i => Enumerable.Repeat(prompts[i], o.N)).ToList();       // prompt i's samples at i·n .. i·n + n − 1
            var outs = CausalLMGenerator.Generate(policy, batch.Select(p => p.Select(x => (long)x).ToArray()).ToList(), generation, rng);
            var sequences = batch.Select((p, k) => RewardSequences.Of(p, outs[k].Tokens.Select(t => (int)t).ToArray())).ToList();
            var scores = scorer.Score(sequences, batch.Select(p => p.Length).ToList());
            for (int j = 0; j < idx.Count; j++)
            {
                int bestK = j * o.N;
                for (int k = j * o.N; k < (j + 1) * o.N; k++)
                {
                    string text = Decode(tok, outs[k].Tokens, eos);
                    candidates.Add(JsonSerializer.Serialize(new { index = idx[j], prompt = rows[idx[j]].Prompt.DisplayText, completion = text, score = scores[k] }));
                    if (scores[k] > scores[bestK]) bestK = k;
                }
                var prompt = rows[idx[j]].Prompt;
                object promptValue = prompt.Messages is { } m ? m.Select(x => new { role = x.Role, content = x.Content }).ToArray() : prompt.Text!;
                best.Add(JsonSerializer.Serialize(new { prompt = promptValue, completion = Decode(tok, outs[bestK].Tokens, eos), score = scores[bestK] }));
            }
            progress.Step(idx[^1] + 1, 0);
        }
        Directory.CreateDirectory(outputDir);
        WriteAtomic(Path.Combine(outputDir, OutputFile), best);
        WriteAtomic(Path.Combine(outputDir, CandidatesFile), candidates);
        progress.Finish();
        return rows.Count;
    }

    private static string Decode(Alignment.Tokenizers.Tokenizer tok, long[] tokens, HashSet<long> eos) =>
        tok.Decode(tokens.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray(), skipSpecialTokens: true);

    private static void WriteAtomic(string path, List<string> lines)
    {
        string tmp = path + $".{Guid.NewGuid():N}.tmp";
        File.WriteAllText(tmp, lines.Count == 0 ? "" : string.Join("\n", lines) + "\n");
        File.Move(tmp, path, overwrite: true);
    }
}
