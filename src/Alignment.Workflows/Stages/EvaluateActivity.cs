using System.Text.Json.Nodes;
using Alignment.Models.Generation;
using Alignment.Models.Heads;
using Alignment.Models.Llama;
using Alignment.Models.Scoring;
using Alignment.Tokenizers;
using Alignment.Tokenizers.Chat;
using Alignment.Torch;
using Alignment.Training.Batching;
using Alignment.Training.Datasets;
using Alignment.Training.Features;
using Alignment.Training.Losses;
using Alignment.Training.Runtime;
using Alignment.Training.Trainers;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Judging;
using Alignment.Workflows.Reporting;
using static Alignment.Torch.torch;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Evaluate</c>: answers held-out prompts greedily with the policy and a baseline, judges each pair with a
/// reward model or a scripted judge (sides randomized by the seed), and reports the policy's win rate with its 95%
/// Wilson interval, mean answer lengths, the KL of the policy to the baseline on the policy's own answers
/// (Σ log π − log πbase per answer, averaged), and optionally the reward model's accuracy on held-out preference
/// pairs and the policy's held-out loss on SFT data. The report artifact (see <see cref="ReportWriter"/>) holds report.md with
/// charts (win rate, answer lengths, the training curves of the trainers upstream of the policy), report.json and the answers.
/// </summary>
public sealed class EvaluateActivity : IStageActivity
{
    public const string TypeName = "Alignment.Evaluate";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Evaluation", "Evaluate",
        "Win rate of a policy against a baseline (reward model or scripted judge, 95% interval), answer length, KL to the baseline, reward-model accuracy and held-out loss.",
        [
            new InputDescriptor("policy", InputType.Artifact, "The model to evaluate.", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("baseline", InputType.Artifact, "The model it is compared with (also the reference for KL).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Held-out prompts: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("judge", InputType.String, "reward-model (needs rewardModel), rules (needs rules) or length.", Default: "reward-model",
                Choices: ["reward-model", "rules", "length"]),
            new InputDescriptor("rewardModel", InputType.Artifact, "Reward model used by judge reward-model and for rewardAccuracy.", ArtifactKind: ArtifactKind.RewardModel),
            new InputDescriptor("rules", InputType.File, "Rule file of the rules judge.", ReferencedFiles: RuleJudge.ReferencedFiles),
            new InputDescriptor("preferences", InputType.Artifact, "Held-out preference pairs for the reward model's accuracy.", ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("heldOut", InputType.Artifact, "Held-out SFT data for the policy's loss (mean token NLL).", ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("maxNewTokens", InputType.Integer, "Most tokens per answer.", Default: 128, Minimum: 1),
            new InputDescriptor("template", InputType.String, "Chat template name, or 'auto'.", Default: "auto"),
            new InputDescriptor("maxLength", InputType.Integer, "Token limit for held-out loss examples.", Default: 1024, Minimum: 1),
            new InputDescriptor("seed", InputType.Integer, "Seed of the side randomization shown to scripted judges.", Default: 0, Minimum: 0),
            new InputDescriptor("batchSize", InputType.Integer, "Sequences per forward or generation batch.", Default: 8, Minimum: 1),
        ],
        [
            new OutputDescriptor("report", OutputType.Artifact, "report.md with charts/*.svg, report.json and answers.jsonl.", ArtifactKind.Report),
            new OutputDescriptor("winRate", OutputType.Number, "Share of prompts the policy wins (ties count half)."),
            new OutputDescriptor("winRateLow", OutputType.Number, "Lower end of the 95% Wilson interval."),
            new OutputDescriptor("winRateHigh", OutputType.Number, "Upper end of the 95% Wilson interval."),
            new OutputDescriptor("meanLength", OutputType.Number, "Mean policy answer length in tokens."),
            new OutputDescriptor("kl", OutputType.Number, "Mean over prompts of Σ (log π − log πbaseline) over the policy's answer tokens."),
            new OutputDescriptor("rewardAccuracy", OutputType.Number, "Reward model accuracy on the held-out pairs (when given; else -1)."),
            new OutputDescriptor("heldOutLoss", OutputType.Number, "Policy's mean token NLL on heldOut (when given; else -1)."),
            new OutputDescriptor("taskScore", OutputType.Number, "With the rules judge: the policy's mean rule score (report.json \"task\").", Optional: true),
            new OutputDescriptor("baselineTaskScore", OutputType.Number, "With the rules judge: the baseline's mean rule score.", Optional: true),
        ]);

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        string policyDir = inputs.Artifact("policy").Path, baselineDir = inputs.Artifact("baseline").Path;
        string judgeName = inputs.String("judge");
        int batchSize = inputs.Int("batchSize");
        if (judgeName == "reward-model" && !inputs.Has("rewardModel")) throw new WorkflowException("judge 'reward-model' needs the rewardModel input");
        var prompts = DatasetReader.ReadPrompts(inputs.Artifact("prompts").Path);
        var tokenizer = Tokenizer.FromFile(policyDir);
        string templateName = inputs.String("template");
        var template = ChatTemplates.For(tokenizer, templateName == "auto" ? null : templateName);
        var featurizer = new Featurizer(tokenizer, template, inputs.Int("maxLength"), "heldOut");
        var promptIds = prompts.Select(p => featurizer.GenerationPrompt(p.Prompt, 4096, p.Line).Select(i => (long)i).ToArray()).ToList();

        context.Progress(0.05, "policy answers");
        var (policyAnswers, policyTokens) = Answer(policyDir, tokenizer, template, promptIds, inputs.Int("maxNewTokens"), batchSize, context);
        context.Progress(0.4, "baseline answers");
        var (baselineAnswers, baselineTokens) = Answer(baselineDir, tokenizer, template, promptIds, inputs.Int("maxNewTokens"), batchSize, context);

        // KL on the policy's own answers: policy log-probs minus baseline log-probs of the same tokens.
        context.Progress(0.7, "KL to the baseline");
        var kl = MeanSequenceKl(policyDir, baselineDir, promptIds, policyTokens, batchSize);

        // Judging: reward model scores, or a scripted judge seeing the two answers in seeded random order.
        var outcomes = new int[prompts.Count];   // +1 policy wins, 0 tie, −1 baseline wins
        double? rewardAccuracy = null;
        RuleHitRates? task = null;
        LlamaForSequenceClassification? rm = null;
        try
        {
            if (inputs.Has("rewardModel"))
            {
                rm = LlamaForSequenceClassification.from_pretrained(inputs.Artifact("rewardModel").Path);
                rm.eval();
            }
            if (judgeName == "reward-model")
            {
                var scorer = new PairwiseScorer(rm!, tokenizer, template, batchSize);
                var texts = prompts.Select(p => p.Prompt.DisplayText).ToList();
                var sp = scorer.Score(texts.Zip(policyAnswers).ToList());
                var sb = scorer.Score(texts.Zip(baselineAnswers).ToList());
                for (int i = 0; i < outcomes.Length; i++) outcomes[i] = Math.Abs(sp[i] - sb[i]) < 1e-9 ? 0 : sp[i] > sb[i] ? 1 : -1;
            }
            else
            {
                var judge = JudgeFactory.Create(judgeName, inputs.Has("rules") ? inputs.File("rules") : null)
                            ?? throw new WorkflowException($"judge '{judgeName}' cannot judge unattended");
                var coin = new SplitMix64((ulong)inputs.Long("seed"));
                for (int i = 0; i < outcomes.Length; i++)
                {
                    bool policyLeft = coin.NextInt(2) == 0;
                    string prompt = prompts[i].Prompt.DisplayText;
                    var v = policyLeft ? judge.Judge(prompt, policyAnswers[i], baselineAnswers[i]) : judge.Judge(prompt, baselineAnswers[i], policyAnswers[i]);
                    outcomes[i] = v.Choice switch
                    {
                        Data.Model.ShownChoice.Left => policyLeft ? 1 : -1,
                        Data.Model.ShownChoice.Right => policyLeft ? -1 : 1,
                        _ => 0,
                    };
                }
                if (judge is RuleJudge rules)
                    task = RuleHitRates.Compute(rules, prompts.Select(p => p.Prompt.DisplayText).ToList(), policyAnswers, baselineAnswers);
            }
            if (rm != null && inputs.Has("preferences"))
            {
                var pairs = DatasetReader.ReadPreferences(inputs.Artifact("preferences").Path);
                var scorer = new PairwiseScorer(rm, tokenizer, template, batchSize);
                var rc = scorer.Score(pairs.Select(p => (p.Prompt.DisplayText, p.Chosen.DisplayText)).ToList());
                var rr = scorer.Score(pairs.Select(p => (p.Prompt.DisplayText, p.Rejected.DisplayText)).ToList());
                rewardAccuracy = pairs.Count == 0 ? null : rc.Zip(rr).Count(x => x.First > x.Second) / (double)pairs.Count;
            }
        }
        finally
        {
            rm?.Dispose();
        }

        double? heldOutLoss = inputs.Has("heldOut") ? HeldOutLoss(policyDir, featurizer, inputs.Artifact("heldOut").Path, tokenizer, batchSize) : null;
        var win = WinRate.From(outcomes.Count(o => o > 0), outcomes.Count(o => o == 0), outcomes.Count(o => o < 0));
        double meanLength = policyTokens.Count == 0 ? 0 : policyTokens.Average(t => t.Length);
        double baselineLength = baselineTokens.Count == 0 ? 0 : baselineTokens.Average(t => t.Length);

        var report = new JsonObject
        {
            ["judge"] = judgeName,
            ["prompts"] = prompts.Count,
            ["win_rate"] = win.Rate, ["win_rate_low"] = win.Low, ["win_rate_high"] = win.High,
            ["wins"] = win.Wins, ["ties"] = win.Ties, ["losses"] = win.Losses,
            ["mean_length"] = meanLength, ["baseline_mean_length"] = baselineLength,
            ["kl"] = kl,
            ["reward_accuracy"] = rewardAccuracy, ["held_out_loss"] = heldOutLoss,
        };
        if (task is not null) report["task"] = task.ToJson();
        context.WriteFolder("report", dir => ReportWriter.Write(dir, ReportContent(context, report, prompts, policyAnswers, baselineAnswers, policyTokens, baselineTokens, outcomes)));
        context.SetValue("winRate", win.Rate);
        context.SetValue("winRateLow", win.Low);
        context.SetValue("winRateHigh", win.High);
        context.SetValue("meanLength", meanLength);
        context.SetValue("kl", kl);
        context.SetValue("rewardAccuracy", rewardAccuracy ?? -1);
        context.SetValue("heldOutLoss", heldOutLoss ?? -1);
        if (task is not null)
        {
            context.SetValue("taskScore", task.PolicyScore);
            context.SetValue("baselineTaskScore", task.BaselineScore);
            context.Log($"task score (mean rule score) {task.PolicyScore:F2}, baseline {task.BaselineScore:F2}");
        }
        context.Log($"win rate {win.Rate:P1} [{win.Low:P1}, {win.High:P1}] over {win.Count} prompts ({win.Wins}/{win.Ties}/{win.Losses}); mean length {meanLength:F1}; KL {kl:F3}");
        return Task.FromResult(StageResult.Completed);
    }

    private static (List<string> texts, List<long[]> tokens) Answer(string modelDir, Tokenizer tokenizer, ChatTemplate template, List<long[]> prompts,
                                                                  int maxNew, int batchSize, StageContext context)
    {
        using var model = LlamaForCausalLM.from_pretrained(modelDir);
        model.eval();
        var eos = new HashSet<long>(StageData.StopIds(model.config, tokenizer, template));
        var options = new GenerationOptions
        {
            MaxNewTokens = maxNew,
            EosTokenIds = eos.ToArray(),
            PadTokenId = StageData.PadId(tokenizer, model.config),
        };
        var texts = new List<string>();
        var tokens = new List<long[]>();
        for (int start = 0; start < prompts.Count; start += batchSize)
        {
            context.Cancellation.ThrowIfCancellationRequested();
            foreach (var r in CausalLMGenerator.Generate(model, prompts.Skip(start).Take(batchSize).ToList(), options))
            {
                tokens.Add(r.Tokens);
                texts.Add(tokenizer.Decode(r.Tokens.Where(t => !eos.Contains(t)).Select(t => (int)t).ToArray(), skipSpecialTokens: true));
            }
        }
        return (texts, tokens);
    }

    /// <summary>Mean over answers of Σ_t log π(y_t) − log πbase(y_t), both from full forwards over prompt + answer.</summary>
    private static double MeanSequenceKl(string policyDir, string baselineDir, List<long[]> prompts, List<long[]> answers, int batchSize)
    {
        var sequences = prompts.Zip(answers, (p, a) => p.Concat(a).ToArray()).ToList();
        double[] Sums(string dir)
        {
            using var model = LlamaForCausalLM.from_pretrained(dir);
            model.eval();
            var lps = TokenLogProbs.Compute(model, sequences, batchSize);
            return lps.Select((row, i) => row.Skip(prompts[i].Length).Sum(v => v ?? 0)).ToArray();
        }
        var pol = Sums(policyDir);
        var bas = Sums(baselineDir);
        return sequences.Count == 0 ? 0 : pol.Zip(bas, (a, b) => a - b).Average();
    }

    private static double HeldOutLoss(string policyDir, Featurizer featurizer, string path, Tokenizer tokenizer, int batchSize)
    {
        var features = DatasetReader.ReadSft(path).Select(featurizer.Sft).ToList();
        using var model = LlamaForCausalLM.from_pretrained(policyDir);
        model.eval();
        double total = 0, count = 0;
        using var _ = no_grad();
        for (int start = 0; start < features.Count; start += batchSize)
        {
            using var scope = NewDisposeScope();
            using var batch = Collator.Sft(features.Skip(start).Take(batchSize).ToList(), tokenizer.Pad?.Id ?? 0);
            var (sum, n, _, _) = LabelledForward.Run(model, batch.InputIds, batch.AttentionMask, batch.Labels);
            total -= sum.sum().to(ScalarType.Float64).item<double>();
            count += n.sum().to(ScalarType.Float64).item<double>();
        }
        return count == 0 ? 0 : total / count;
    }

    /// <summary>What the report shows: the numbers, every answer pair, and the training curves found through lineage.</summary>
    private static EvaluationReport ReportContent(StageContext context, JsonObject summary, List<PromptExample> prompts, List<string> policy, List<string> baseline,
                                                  List<long[]> policyTokens, List<long[]> baselineTokens, int[] outcomes)
    {
        var inputs = context.Inputs;
        var roots = new List<ArtifactRecord> { inputs.Artifact("policy") };
        if (inputs.Has("rewardModel")) roots.Add(inputs.Artifact("rewardModel"));
        var notes = new List<string>();
        var training = TrainingHistory.Find(context.Artifacts, roots, notes);
        return new EvaluationReport
        {
            Summary = summary,
            Answers = prompts.Select((p, i) => new EvaluatedAnswer(p.Prompt.DisplayText, policy[i], baseline[i], policyTokens[i].Length, baselineTokens[i].Length, outcomes[i])).ToList(),
            Training = training,
            TrainingNotes = notes,
            Policy = Describe(inputs.Artifact("policy")),
            Baseline = Describe(inputs.Artifact("baseline")),
        };
    }

    /// <summary>An artifact as the report names it: producing activity and output, and the hash prefix.</summary>
    private static string Describe(ArtifactRecord artifact) =>
        artifact.Provenance.Producer is { } p ? $"{p.ActivityId}.{artifact.Provenance.OutputName ?? "output"} {artifact.Hash[..12]}" : artifact.Hash[..12];
}
