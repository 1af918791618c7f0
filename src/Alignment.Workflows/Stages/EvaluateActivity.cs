using System.Text.Json.Nodes;
using Alignment.Training.Datasets;
using Alignment.Training.Evaluation;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Judging;
using Alignment.Workflows.Reporting;

namespace Alignment.Workflows.Stages;

/// <summary>
/// <c>Alignment.Evaluate</c>: answers held-out prompts greedily with the policy and a baseline, judges each pair with a
/// reward model or a scripted judge (sides randomized by the seed), or by people in a blind A/B labeling project (judge
/// <c>human</c>: the instance suspends until every comparison has its quorum, see <see cref="HumanEvaluation"/>), and reports the policy's win rate with its 95%
/// Wilson interval and its ties by cause; every rule and metric of policy and baseline with the paired 95% interval of
/// the change, regressions first (<see cref="MetricChange"/>); KL(policy ‖ baseline) estimated from answers sampled at
/// temperature 1 (k1 and k3, <see cref="SampledKl"/>) beside the greedy answers' log-ratio; and optionally the reward
/// model's accuracy on held-out preference pairs (per <c>group</c> too), scored on the sequence it was trained on, and the
/// policy's held-out loss on SFT data. With <c>start</c> (the evaluation report of the model the policy was trained from,
/// on the same prompts) the policy is also compared with that model's recorded answers, every regression against it
/// listed as one (<see cref="StartComparison"/>). The models' side (answers, log-probs, scores, losses; each model loaded once) is
/// <see cref="ModelEvaluator"/>'s; this stage judges and writes the report. The report artifact (see <see cref="ReportWriter"/>) holds report.md with
/// charts (win rate, answer lengths, the training curves of the trainers upstream of the policy), report.json and the answers.
/// </summary>
public sealed class EvaluateActivity : IStageActivity
{
    public const string TypeName = "Alignment.Evaluate";

    public ActivityDescriptor Descriptor { get; } = new(
        TypeName, 1, "Evaluation", "Evaluate",
        "Win rate of a policy against a baseline (reward model or scripted judge, 95% interval), every rule and metric with its change and interval (regressions first), KL to the baseline, reward-model accuracy and held-out loss.",
        [
            new InputDescriptor("policy", InputType.Artifact, "The model to evaluate.", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("baseline", InputType.Artifact, "The model it is compared with (also the reference for KL).", Required: true, ArtifactKind: ArtifactKind.Model),
            new InputDescriptor("prompts", InputType.Artifact, "Held-out prompts: rows {\"prompt\"}.", Required: true, ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("judge", InputType.String, "reward-model (needs rewardModel), rules (needs rules), length, or human (blind A/B by annotators: the instance suspends until judged).",
                Default: "reward-model", Choices: ["reward-model", "rules", "length", "human"]),
            new InputDescriptor("humanOverlap", InputType.Integer, "With judge human: judgments per comparison, each by a different annotator (k).", Default: 1, Minimum: 1),
            new InputDescriptor("rewardModel", InputType.Artifact, "Reward model used by judge reward-model and for rewardAccuracy.", ArtifactKind: ArtifactKind.RewardModel),
            new InputDescriptor("rules", InputType.File, "Rule file of the rules judge.", ReferencedFiles: RuleJudge.ReferencedFiles),
            new InputDescriptor("preferences", InputType.Artifact, "Held-out preference pairs for the reward model's accuracy.", ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("heldOut", InputType.Artifact, "Held-out SFT data for the policy's loss (mean token NLL).", ArtifactKind: ArtifactKind.Dataset),
            new InputDescriptor("references", InputType.File, "Reference answers, JSONL {\"prompt\", \"reference\"} covering every held-out prompt: ROUGE-1/2/L, BLEU, chrF and exact match of both models."),
            new InputDescriptor("guard", InputType.File, "General-ability guard set, JSONL {\"prompt\", \"reference\"} unrelated to the task (data/guard/guard.jsonl): both models' NLL of the references and their answers, side by side."),
            new InputDescriptor("guardTolerance", InputType.Number, "Nats per token the guard NLL may worsen before it counts as a regression (the whole 95% interval beyond it).", Default: 0.05),
            new InputDescriptor("maxNewTokens", InputType.Integer, "Most tokens per answer.", Default: 128, Minimum: 1),
            new InputDescriptor("template", InputType.String, "Chat template name, or 'auto'.", Default: "auto"),
            new InputDescriptor("maxLength", InputType.Integer, "Token limit for held-out loss examples.", Default: 1024, Minimum: 1),
            new InputDescriptor("seed", InputType.Integer, "Seed of the side randomization shown to scripted judges and of the KL samples.", Default: 0, Minimum: 0),
            new InputDescriptor("klSamples", InputType.Integer, "Answers sampled from the policy per prompt at temperature 1 for the KL estimates (0: only the greedy log-ratio).", Default: 4, Minimum: 0),
            new InputDescriptor("batchSize", InputType.Integer, "Sequences per forward or generation batch.", Default: 8, Minimum: 1),
            new InputDescriptor("start", InputType.Artifact,
                "The evaluation report of the model the policy was trained from, on the same prompts (e.g. the DPO policy's, for PPO or GRPO started from it): " +
                "the policy is also compared with that model's recorded answers (scripted judge's win rate, every rule, text metric and the guard with the 95% interval of the change; report.json \"start\").",
                ArtifactKind: ArtifactKind.Report),
        ],
        [
            new OutputDescriptor("report", OutputType.Artifact, "report.md with charts/*.svg, report.json and answers.jsonl.", ArtifactKind.Report),
            new OutputDescriptor("winRate", OutputType.Number, "Share of prompts the policy wins (ties count half)."),
            new OutputDescriptor("winRateLow", OutputType.Number, "Lower end of the 95% Wilson interval."),
            new OutputDescriptor("winRateHigh", OutputType.Number, "Upper end of the 95% Wilson interval."),
            new OutputDescriptor("meanLength", OutputType.Number, "Mean policy answer length in tokens."),
            new OutputDescriptor("kl", OutputType.Number, "KL(policy ‖ baseline) in nats per answer: the k1 estimate over klSamples sampled answers per prompt (the greedy log-ratio when klSamples is 0)."),
            new OutputDescriptor("greedyLogRatio", OutputType.Number, "Mean of Σ (log π − log πbaseline) over the policy's greedy answers (not a KL estimate: greedy answers are not samples)."),
            new OutputDescriptor("regressions", OutputType.Number, "Rules and metrics whose 95% interval lies wholly on the worse side (listed in report.json \"regressions\")."),
            new OutputDescriptor("rewardAccuracy", OutputType.Number, "Reward model accuracy on the held-out pairs (when given; else -1)."),
            new OutputDescriptor("heldOutLoss", OutputType.Number, "Policy's mean token NLL on heldOut (when given; else -1)."),
            new OutputDescriptor("taskScore", OutputType.Number, "With the rules judge: the policy's mean rule score (report.json \"task\").", Optional: true),
            new OutputDescriptor("baselineTaskScore", OutputType.Number, "With the rules judge: the baseline's mean rule score.", Optional: true),
            new OutputDescriptor("startWinRate", OutputType.Number, "With start and a scripted judge: the win rate against the start model (ties count half).", Optional: true),
            new OutputDescriptor("startWinRateLow", OutputType.Number, "Lower end of its 95% Wilson interval.", Optional: true),
            new OutputDescriptor("startWinRateHigh", OutputType.Number, "Upper end of its 95% Wilson interval.", Optional: true),
            new OutputDescriptor("startRegressions", OutputType.Number, "With start: rules and metrics whose 95% interval against the start model lies wholly on the worse side (report.json \"start\".\"regressions\").", Optional: true),
        ])
    {
        // 1: per-metric changes with intervals, tie causes, sampled KL, reward model scored at the trained token.
        // 2: the comparison with the start model (input start); report.json names the policy and baseline.
        Revision = 2,
    };

    public Task<StageResult> ExecuteAsync(StageContext context)
    {
        var inputs = context.Inputs;
        string judgeName = inputs.String("judge");
        if (judgeName == "reward-model" && !inputs.Has("rewardModel")) throw new WorkflowException("judge 'reward-model' needs the rewardModel input");
        if (judgeName != "human" && inputs.Int("humanOverlap") != 1) throw new WorkflowException($"humanOverlap is for judge 'human'; judge '{judgeName}' does not use it");
        var prompts = DatasetReader.ReadPrompts(inputs.Artifact("prompts").Path);
        string template = inputs.String("template");
        var evaluator = new ModelEvaluator(new EvaluationSettings
        {
            Policy = inputs.Artifact("policy").Path,
            Baseline = inputs.Artifact("baseline").Path,
            Template = template == "auto" ? null : template,
            MaxLength = inputs.Int("maxLength"),
            BatchSize = inputs.Int("batchSize"),
            MaxNewTokens = inputs.Int("maxNewTokens"),
            KlSamples = inputs.Int("klSamples"),
            Seed = (ulong)inputs.Long("seed"),
            HeldOut = inputs.Has("heldOut") ? inputs.Artifact("heldOut").Path : null,
            Guard = inputs.Has("guard") ? inputs.File("guard") : null,
        }, prompts, context.Cancellation);
        var references = inputs.Has("references") ? References(inputs.File("references"), prompts) : null;

        context.Progress(0.05, "policy answers");
        var policy = evaluator.Policy();
        context.Progress(0.45, "baseline answers");
        var baseline = evaluator.Baseline(policy);

        context.Progress(0.8, "judging");
        var texts = prompts.Select(p => p.Prompt.DisplayText).ToList();
        var changes = new List<MetricChange>();
        HumanEvaluation? human = null;
        if (judgeName == "human")
        {
            human = HumanEvaluation.Collect(context, texts, policy.Answers, baseline.Answers, inputs.Int("humanOverlap"), inputs.Long("seed"));
            if (human.Waiting is { } waiting) return Task.FromResult(waiting);
        }
        var (outcomes, ties, task) = judgeName switch
        {
            "reward-model" => (null, null, (RuleHitRates?)null),
            "human" => (human!.Outcomes, TieCauses.Of(human.Outcomes, policy.Answers, baseline.Answers, human.BothBad),
                        inputs.Has("rules") ? RuleMetrics(RuleJudge.Load(inputs.File("rules")), texts, policy.Answers, baseline.Answers, changes) : null),
            _ => JudgeScripted(inputs, judgeName, texts, policy.Answers, baseline.Answers, changes),
        };
        var rewards = inputs.Has("rewardModel")
            ? evaluator.Rewards(inputs.Artifact("rewardModel").Path, policy, baseline, inputs.Has("preferences") ? inputs.Artifact("preferences").Path : null)
            : null;
        if (rewards is not null) changes.Add(MetricChange.Paired("reward-model score", "metric", Better.Higher, "value", rewards.Policy, rewards.Baseline));
        if (outcomes is null)
        {
            outcomes = new int[prompts.Count];
            for (int i = 0; i < outcomes.Length; i++)
            {
                double sp = rewards!.Policy[i], sb = rewards.Baseline[i];
                outcomes[i] = Math.Abs(sp - sb) < 1e-9 ? 0 : sp > sb ? 1 : -1;
            }
            ties = TieCauses.Of(outcomes, policy.Answers, baseline.Answers, bothBad: new bool[outcomes.Length]);
        }
        var policyGuard = policy.GuardNll.Select(r => r.MeanNll).ToList();
        var policyTokens = policy.Tokens.Select(t => t.Length).ToList();
        changes.AddRange(AnswerChanges.Of(policy.Answers, baseline.Answers, references, policyGuard, baseline.GuardNll.Select(r => r.MeanNll).ToList(),
                                          inputs.Double("guardTolerance"), policyTokens, baseline.Tokens.Select(t => t.Length).ToList()));
        var start = inputs.Has("start") ? CompareWithStart(inputs, judgeName, texts, policy.Answers, policyTokens, references, policyGuard, evaluator.Guard) : null;

        var win = WinRate.From(outcomes.Count(o => o > 0), outcomes.Count(o => o == 0), outcomes.Count(o => o < 0));
        var kl = policy.Samples.Count > 0 ? SampledKl.From(policy.SampleLogps, baseline.SampleLogps) : null;
        double greedyLogRatio = policy.Answers.Count == 0 ? 0 : policy.GreedyLogps.Zip(baseline.GreedyLogps, (a, b) => a - b).Average();
        double meanLength = policy.Tokens.Count == 0 ? 0 : policy.Tokens.Average(t => t.Length);
        double baselineLength = baseline.Tokens.Count == 0 ? 0 : baseline.Tokens.Average(t => t.Length);
        var ordered = changes.OrderBy(c => c.Verdict == ChangeVerdict.Regression ? 0 : 1).ToList();

        var report = new JsonObject
        {
            ["policy"] = Describe(inputs.Artifact("policy")), ["baseline"] = Describe(inputs.Artifact("baseline")),
            ["judge"] = judgeName,
            ["prompts"] = prompts.Count,
            ["win_rate"] = win.Rate, ["win_rate_low"] = win.Low, ["win_rate_high"] = win.High,
            ["wins"] = win.Wins, ["ties"] = win.Ties, ["losses"] = win.Losses,
            ["ties_by_cause"] = ties!.ToJson(),
            ["mean_length"] = meanLength, ["baseline_mean_length"] = baselineLength,
            ["kl"] = kl is null ? null : kl.K1,
            ["kl_k3"] = kl is null ? null : kl.K3,
            ["kl_samples"] = kl?.Samples ?? 0,
            ["greedy_log_ratio"] = greedyLogRatio,
            ["reward_accuracy"] = rewards?.Accuracy, ["held_out_loss"] = policy.HeldOutLoss,
            ["changes"] = new JsonArray(ordered.Select(c => (JsonNode)c.ToJson()).ToArray()),
            ["regressions"] = new JsonArray(ordered.Where(c => c.Verdict == ChangeVerdict.Regression).Select(c => (JsonNode)c.Name).ToArray()),
        };
        if (rewards is not null && inputs.Has("preferences") && AccuracyByGroup(rewards, inputs.Artifact("preferences").Path) is { Count: > 0 } groups)
            report["reward_accuracy_by_group"] = new JsonObject(groups.Select(g => KeyValuePair.Create(g.Key, (JsonNode?)new JsonObject
            {
                ["pairs"] = g.Value.Pairs, ["accuracy"] = g.Value.Accuracy,
            })));
        if (task is not null) report["task"] = task.ToJson();
        if (evaluator.Guard is { } guardRows)
            report["guard"] = new JsonObject
            {
                ["rows"] = guardRows.Count,
                ["policy_nll"] = ReferenceLikelihood.MeanPerToken(policy.GuardNll),
                ["baseline_nll"] = ReferenceLikelihood.MeanPerToken(baseline.GuardNll),
                ["tolerance"] = inputs.Double("guardTolerance"),
                ["answers"] = new JsonArray(guardRows.Select((r, i) => (JsonNode)new JsonObject
                {
                    ["prompt"] = r.Prompt.DisplayText, ["reference"] = r.Reference, ["policy"] = policy.GuardAnswers[i], ["baseline"] = baseline.GuardAnswers[i],
                    ["policy_nll"] = policy.GuardNll[i].MeanNll, ["baseline_nll"] = baseline.GuardNll[i].MeanNll,
                }).ToArray()),
            };
        if (human is not null) report["human"] = human.ToJson();
        if (start is not null) report["start"] = start.ToJson();
        context.WriteFolder("report", dir =>
        {
            ReportWriter.Write(dir, ReportContent(context, report, prompts, policy.Answers, baseline.Answers, policy.Tokens, baseline.Tokens, outcomes));
            human?.WriteJudgments(dir);
        });
        context.SetValue("winRate", win.Rate);
        context.SetValue("winRateLow", win.Low);
        context.SetValue("winRateHigh", win.High);
        context.SetValue("meanLength", meanLength);
        context.SetValue("kl", kl?.K1 ?? greedyLogRatio);
        context.SetValue("greedyLogRatio", greedyLogRatio);
        context.SetValue("regressions", ordered.Count(c => c.Verdict == ChangeVerdict.Regression));
        context.SetValue("rewardAccuracy", rewards?.Accuracy ?? -1);
        context.SetValue("heldOutLoss", policy.HeldOutLoss ?? -1);
        if (task is not null)
        {
            context.SetValue("taskScore", task.PolicyScore);
            context.SetValue("baselineTaskScore", task.BaselineScore);
            context.Log($"task score (mean rule score) {task.PolicyScore:F2}, baseline {task.BaselineScore:F2}");
        }
        if (start is not null)
        {
            if (start.Win is { } w)
            {
                context.SetValue("startWinRate", w.Rate);
                context.SetValue("startWinRateLow", w.Low);
                context.SetValue("startWinRateHigh", w.High);
                context.Log($"against the start model {start.Model}: win rate {w.Rate:P1} [{w.Low:P1}, {w.High:P1}] ({w.Wins}/{w.Ties}/{w.Losses})");
            }
            context.SetValue("startRegressions", start.Regressions.Count);
            foreach (var c in start.Regressions) context.Log($"against the start model {start.Model}: {ChangeText.Regression(c)}");
        }
        context.Log($"win rate {win.Rate:P1} [{win.Low:P1}, {win.High:P1}] over {win.Count} prompts ({win.Wins}/{win.Ties}/{win.Losses}); mean length {meanLength:F1}; " +
                    (kl is null ? $"greedy log-ratio {greedyLogRatio:F3}" : $"KL k1 {kl.K1:F3}, k3 {kl.K3:F3} over {kl.Samples} samples"));
        foreach (var c in ordered.Where(c => c.Verdict == ChangeVerdict.Regression)) context.Log(ChangeText.Regression(c));
        return Task.FromResult(StageResult.Completed);
    }

    /// <summary>The reference answer of each held-out prompt, in prompt order; every prompt must have one.</summary>
    private static List<string> References(string file, List<PromptExample> prompts)
    {
        var references = ReferenceAnswers.Load(file);
        return prompts.Select(p => references.Find(p.Prompt.DisplayText)
            ?? throw new WorkflowException($"{references.Source}: no reference answer for held-out prompt \"{p.Prompt.DisplayText}\" (line {p.Line} of the prompts)")).ToList();
    }

    /// <summary>The scripted judge's verdicts (policy's side drawn by the seed), tie causes, rule changes and task score.</summary>
    private static (int[] Outcomes, TieCauses Ties, RuleHitRates? Task) JudgeScripted(StageInputs inputs, string judgeName, List<string> prompts,
                                                                                  List<string> policy, List<string> baseline, List<MetricChange> changes)
    {
        var judge = ScriptedJudge(inputs, judgeName) ?? throw new WorkflowException($"judge '{judgeName}' cannot judge unattended");
        var (outcomes, bothBad) = ScriptedVerdicts.Judge(judge, (ulong)inputs.Long("seed"), prompts, policy, baseline);
        var task = judge is RuleJudge rules ? RuleMetrics(rules, prompts, policy, baseline, changes) : null;
        return (outcomes, TieCauses.Of(outcomes, policy, baseline, bothBad), task);
    }

    private static IScriptedJudge? ScriptedJudge(StageInputs inputs, string judgeName) =>
        judgeName is "reward-model" or "human" ? null : JudgeFactory.Create(judgeName, inputs.Has("rules") ? inputs.File("rules") : null);

    /// <summary>The policy against the start model's recorded answers (input start): the scripted judge's win rate, and the
    /// rules (when given), text metrics, guard and length with their intervals.</summary>
    private static StartComparison CompareWithStart(StageInputs inputs, string judgeName, List<string> prompts, List<string> policy, List<int> policyTokens,
                                                    List<string>? references, List<double> policyGuard, IReadOnlyList<ReferenceExample>? guard)
    {
        var artifact = inputs.Artifact("start");
        var recorded = RecordedAnswers.Read(artifact.Path, $"start ({Describe(artifact)})", prompts, guard?.Select(r => r.Prompt.DisplayText).ToList() ?? []);
        var judge = ScriptedJudge(inputs, judgeName);
        var rules = judge as RuleJudge ?? (inputs.Has("rules") ? RuleJudge.Load(inputs.File("rules")) : null);
        return StartComparison.Of(artifact.Hash, recorded, judge, rules, (ulong)inputs.Long("seed"), prompts, policy, policyTokens, references, policyGuard, inputs.Double("guardTolerance"));
    }

    /// <summary>The rules' hit rates (task score) and their policy-vs-baseline changes.</summary>
    private static RuleHitRates RuleMetrics(RuleJudge rules, List<string> prompts, List<string> policy, List<string> baseline, List<MetricChange> changes)
    {
        changes.AddRange(RuleChanges.Of(rules, prompts, policy, baseline));
        return RuleHitRates.Compute(rules, prompts, policy, baseline);
    }

    /// <summary>The reward model's accuracy per <c>group</c> of the held-out pairs (pairs without a group are left out).</summary>
    private static SortedDictionary<string, (int Pairs, double Accuracy)> AccuracyByGroup(RewardEvaluation rewards, string preferences)
    {
        var byGroup = new SortedDictionary<string, (int Pairs, double Accuracy)>(StringComparer.Ordinal);
        var groups = PreferenceGroups.Read(preferences);
        var lines = rewards.PairLines;
        foreach (var g in Enumerable.Range(0, lines.Count).Where(i => groups.ContainsKey(lines[i])).GroupBy(i => groups[lines[i]]))
            byGroup[g.Key] = (g.Count(), g.Count(i => rewards.PairRight[i]) / (double)g.Count());
        return byGroup;
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
