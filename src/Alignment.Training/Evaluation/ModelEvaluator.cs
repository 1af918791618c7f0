using Alignment.Models.Generation;
using Alignment.Models.Llama;
using Alignment.Models.Scoring;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Torch;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;
using static Alignment.Torch.torch;

namespace Alignment.Training.Evaluation;

/// <summary>What <see cref="ModelEvaluator"/> evaluates and how.</summary>
public sealed record EvaluationSettings
{
    /// <summary>The evaluated model's folder; its tokenizer tokenizes everything.</summary>
    public required string Policy { get; init; }
    /// <summary>The model it is compared with (also the reference of the KL estimates).</summary>
    public required string Baseline { get; init; }
    /// <summary>Chat template name; null = recognized from tokenizer_config.json.</summary>
    public string? Template { get; init; }
    /// <summary>Token limit of held-out loss, guard and preference examples.</summary>
    public int MaxLength { get; init; } = 1024;
    /// <summary>Sequences per forward or generation batch.</summary>
    public int BatchSize { get; init; } = 8;
    /// <summary>Most tokens per answer.</summary>
    public int MaxNewTokens { get; init; } = 128;
    /// <summary>Answers sampled from the policy per prompt at temperature 1 for the KL estimates (0 = none).</summary>
    public int KlSamples { get; init; }
    /// <summary>Seed of the KL samples.</summary>
    public ulong Seed { get; init; }
    /// <summary>Held-out SFT data for the policy's mean token NLL; null = none.</summary>
    public string? HeldOut { get; init; }
    /// <summary>General-ability guard set, JSONL {"prompt", "reference"}; null = none.</summary>
    public string? Guard { get; init; }
}

/// <summary>What one model produced: greedy answers (text and tokens), the policy's greedy answers' summed log-probs
/// under this model, per-token log-probs of the policy's sampled answers, and (policy) the held-out loss.</summary>
public sealed record ModelPass(List<string> Answers, List<long[]> Tokens, double[] GreedyLogps, List<long[]> Samples, List<double[]> SampleLogps, double? HeldOutLoss)
{
    /// <summary>Per guard row: the reference answer's NLL under this model (sum and tokens).</summary>
    public IReadOnlyList<ReferenceNll> GuardNll { get; init; } = [];
    /// <summary>Per guard row: the model's own greedy answer.</summary>
    public IReadOnlyList<string> GuardAnswers { get; init; } = [];
}

/// <summary>A reward model's scores of both models' answers and, with preference pairs, whether it ranks each pair right.</summary>
/// <param name="PairLines">The 1-based line of each preference pair in its file.</param>
/// <param name="PairRight">Per pair: the chosen answer scored above the rejected one.</param>
public sealed record RewardEvaluation(double[] Policy, double[] Baseline, IReadOnlyList<int> PairLines, bool[] PairRight)
{
    /// <summary>Share of pairs ranked right; null without pairs.</summary>
    public double? Accuracy => PairRight.Length == 0 ? null : PairRight.Count(x => x) / (double)PairRight.Length;
}

/// <summary>
/// The model side of evaluating a policy against a baseline on held-out prompts: greedy answers of both, answers
/// sampled from the policy at temperature 1 with both models' per-token log-probs (for KL estimates), both models'
/// log-probs of the policy's greedy answers, the policy's held-out loss, both models' NLL of a guard set's references
/// and their guard answers, and a reward model's scores and pair accuracy. Each model is loaded once, by the call that
/// needs it; the pad id is <see cref="StageData.PadId"/>'s and the stop ids <see cref="StageData.StopIds"/>'s.
/// </summary>
public sealed class ModelEvaluator
{
    private readonly EvaluationSettings _settings;
    private readonly CancellationToken _cancellation;
    private readonly IReadOnlyList<ReferenceExample>? _guard;

    public ModelEvaluator(EvaluationSettings settings, IReadOnlyList<PromptExample> prompts, CancellationToken cancellation = default)
    {
        _settings = settings;
        _cancellation = cancellation;
        Tokenizer = Tokenizer.FromFile(settings.Policy);
        Template = ChatTemplates.For(Tokenizer, settings.Template);
        Featurizer = new Featurizer(Tokenizer, Template, settings.MaxLength, "heldOut");
        PromptIds = prompts.Select(p => Featurizer.GenerationPrompt(p.Prompt, 4096, p.Line).Select(i => (long)i).ToArray()).ToList();
        if (settings.Guard is { } guard) _guard = DatasetReader.ReadReferenced(guard);
    }

    public Tokenizer Tokenizer { get; }
    public ChatTemplate Template { get; }
    public Featurizer Featurizer { get; }
    /// <summary>The held-out prompts as the models see them.</summary>
    public List<long[]> PromptIds { get; }
    /// <summary>The guard set's rows, or null without one.</summary>
    public IReadOnlyList<ReferenceExample>? Guard => _guard;

    /// <summary>The policy, loaded once: greedy answers, KlSamples sampled answers per prompt at temperature 1 with their
    /// per-token log-probs, the log-probs of its greedy answers, the held-out loss and the guard.</summary>
    public ModelPass Policy()
    {
        using var model = LlamaForCausalLM.from_pretrained(_settings.Policy);
        model.eval();
        var (answers, tokens) = Answer(model, sample: null);
        var samples = new List<long[]>();
        int klSamples = _settings.KlSamples;
        if (klSamples > 0)
        {
            using var rng = new Generator(_settings.Seed);
            var repeated = PromptIds.SelectMany(p => Enumerable.Repeat(p, klSamples)).ToList();
            samples = Answer(model, sample: rng, prompts: repeated).Tokens;
        }
        var sampleLogps = AnswerLogps(model, samples, klSamples);
        var greedy = AnswerLogps(model, tokens, 1).Select(v => v.Sum()).ToArray();
        double? heldOut = _settings.HeldOut is { } path ? HeldOutLoss(model, path) : null;
        var guard = GuardPass(model);
        return new ModelPass(answers, tokens, greedy, samples, sampleLogps, heldOut) { GuardNll = guard.Nll, GuardAnswers = guard.Answers };
    }

    /// <summary>The baseline, loaded once: greedy answers, its log-probs of the policy's greedy and sampled answers, and the guard.</summary>
    public ModelPass Baseline(ModelPass policy)
    {
        using var model = LlamaForCausalLM.from_pretrained(_settings.Baseline);
        model.eval();
        var (answers, tokens) = Answer(model, sample: null);
        int perPrompt = PromptIds.Count == 0 ? 0 : policy.Samples.Count / PromptIds.Count;
        var sampleLogps = AnswerLogps(model, policy.Samples, perPrompt);
        var greedy = AnswerLogps(model, policy.Tokens, 1).Select(v => v.Sum()).ToArray();
        var guard = GuardPass(model);
        return new ModelPass(answers, tokens, greedy, [], sampleLogps, null) { GuardNll = guard.Nll, GuardAnswers = guard.Answers };
    }

    /// <summary>The reward model in <paramref name="folder"/>, loaded once: its scores of both models' answers and its
    /// ranking of the held-out pairs in <paramref name="preferences"/> (when given); every sequence is scored as
    /// training scored it (<see cref="RewardSequences"/>).</summary>
    public RewardEvaluation Rewards(string folder, ModelPass policy, ModelPass baseline, string? preferences)
    {
        using var scorer = RewardModelScorer.Load(folder, ScalarType.Float32, StageData.PadId(Tokenizer, StageData.ModelConfig(folder)), _settings.BatchSize);
        double[] ScoreAnswers(List<long[]> answers) => scorer.Score(
            answers.Select((a, i) => RewardSequences.Of(PromptIds[i].Select(x => (int)x).ToArray(), a.Select(x => (int)x).ToArray())).ToList(),
            PromptIds.Select(p => p.Length).ToList());
        var sp = ScoreAnswers(policy.Tokens);
        var sb = ScoreAnswers(baseline.Tokens);
        if (preferences is null) return new RewardEvaluation(sp, sb, [], []);
        var pairs = DatasetReader.ReadPreferences(preferences);
        var features = pairs.Select(Featurizer.Preference).Select(RewardSequences.Of).ToList();
        var rc = scorer.Score(features.Select(f => f.Chosen).ToList(), features.Select(_ => 0).ToList());
        var rr = scorer.Score(features.Select(f => f.Rejected).ToList(), features.Select(_ => 0).ToList());
        return new RewardEvaluation(sp, sb, pairs.Select(p => p.Line).ToList(), rc.Zip(rr, (c, r) => c > r).ToArray());
    }

    /// <summary>The guard set's NLLs and answers for a loaded model (empty when no guard is given).</summary>
    private (IReadOnlyList<ReferenceNll> Nll, IReadOnlyList<string> Answers) GuardPass(LlamaForCausalLM model)
    {
        if (_guard is not { Count: > 0 } rows) return ([], []);
        var nll = ReferenceLikelihood.PerRow(model, Tokenizer, Template, rows.Select(r => r.ToSft()).ToList(), Featurizer.MaxLength, _settings.BatchSize, _settings.Guard!);
        var prompts = rows.Select(r => Featurizer.GenerationPrompt(r.Prompt, 4096, r.Line).Select(i => (long)i).ToArray()).ToList();
        return (nll, Answer(model, sample: null, prompts).Texts);
    }

    private (List<string> Texts, List<long[]> Tokens) Answer(LlamaForCausalLM model, Generator? sample, List<long[]>? prompts = null)
    {
        prompts ??= PromptIds;
        var eos = new HashSet<long>(StageData.StopIds(model.config, Tokenizer, Template));
        var options = new GenerationOptions
        {
            MaxNewTokens = _settings.MaxNewTokens,
            EosTokenIds = eos.ToArray(),
            PadTokenId = StageData.PadId(Tokenizer, model.config),
            DoSample = sample is not null,
            Temperature = 1.0,
        };
        var texts = new List<string>();
        var tokens = new List<long[]>();
        for (int start = 0; start < prompts.Count; start += _settings.BatchSize)
        {
            _cancellation.ThrowIfCancellationRequested();
            foreach (var r in CausalLMGenerator.Generate(model, prompts.Skip(start).Take(_settings.BatchSize).ToList(), options, sample))
            {
                tokens.Add(r.Tokens);
                texts.Add(Tokenizer.Decode(r.Tokens.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray(), skipSpecialTokens: true));
            }
        }
        return (texts, tokens);
    }

    /// <summary>Per-token log-probs of each answer after its prompt (answer i follows prompt i / <paramref name="perPrompt"/>).</summary>
    private List<double[]> AnswerLogps(LlamaForCausalLM model, List<long[]> answers, int perPrompt)
    {
        if (answers.Count == 0) return [];
        var prompts = answers.Select((_, i) => PromptIds[i / perPrompt]).ToList();
        var sequences = prompts.Zip(answers, (p, a) => p.Concat(a).ToArray()).ToList();
        var lps = TokenLogProbs.Compute(model, sequences, _settings.BatchSize);
        return lps.Select((row, i) => row.Skip(prompts[i].Length).Select(v => v ?? 0).ToArray()).ToList();
    }

    /// <summary>The policy's mean token NLL on held-out SFT data.</summary>
    private double HeldOutLoss(LlamaForCausalLM model, string path)
    {
        var features = DatasetReader.ReadSft(path).Select(Featurizer.Sft).ToList();
        return ReferenceLikelihood.MeanPerToken(ReferenceLikelihood.PerRow(model, features, StageData.PadId(Tokenizer, model.config), _settings.BatchSize));
    }
}
