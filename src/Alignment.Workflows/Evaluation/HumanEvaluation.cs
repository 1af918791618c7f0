using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Alignment.Data.ImportExport;
using Alignment.Data.Model;
using Alignment.Data.Projects;
using Alignment.Data.Reports;
using Alignment.Training.Batching;
using Alignment.Workflows.Activities;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Evaluation;

/// <summary>
/// Blind human A/B judging of Evaluate's answers (judge <c>human</c>). The policy's and the baseline's answer to each
/// held-out prompt become one comparison of a labeling project, A and B drawn by the seed (the queue shuffles left and
/// right again per annotator); the responses carry the model names <see cref="PolicyModel"/> and <see cref="BaselineModel"/>,
/// which annotators never receive. Prompts where both models gave the same answer are not shown: they are ties
/// ("same answer"). The project's name is a hash of the prompts, both answer lists, the overlap and the seed, so the
/// rerun of the stage after a resume (and any later run with the same answers) finds the same project and its
/// judgments. Until every comparison has its quorum the stage suspends on CollectJudgments' <c>judgments</c> bookmark;
/// then each prompt's verdict is its comparison's label (an adjudication, else the plurality of the votes; a split vote
/// is a tie), and the Bradley–Terry leaderboard of the two models is fitted over every judgment.
/// </summary>
public sealed class HumanEvaluation
{
    /// <summary>The model name on the policy's responses (seen by admins and in the leaderboard, never by annotators).</summary>
    public const string PolicyModel = "policy";

    /// <summary>The model name on the baseline's responses.</summary>
    public const string BaselineModel = "baseline";

    /// <summary>What an annotator is shown for an empty answer (the labeling store keeps no empty responses).</summary>
    public const string EmptyAnswer = "(empty answer)";

    /// <summary>The guidelines of a new project: no word about which model is which.</summary>
    public const string Guidelines =
        "Blind comparison of two AI assistants. For each prompt, choose the better answer, or *tie* when they are equally good, " +
        "or *both bad* when neither is acceptable. The answers are shown in random order; which assistant wrote which is hidden.";

    private HumanEvaluation(StageResult? waiting, Project? project, IReadOnlyList<SnapshotRow> rows, int[] outcomes, bool[] bothBad,
                            int sameAnswer, int split, IReadOnlyList<LeaderboardEntry> leaderboard)
    {
        Waiting = waiting;
        Project = project;
        Rows = rows;
        Outcomes = outcomes;
        BothBad = bothBad;
        SameAnswer = sameAnswer;
        Split = split;
        Leaderboard = leaderboard;
    }

    /// <summary>The suspension while some comparison lacks its quorum; null when the verdicts are complete.</summary>
    public StageResult? Waiting { get; }

    /// <summary>The labeling project (null when every prompt got the same answer from both models: nothing to show).</summary>
    public Project? Project { get; }

    /// <summary>The judgments on the project's comparisons.</summary>
    public IReadOnlyList<SnapshotRow> Rows { get; }

    /// <summary>Per prompt: +1 the policy won, 0 tie, −1 the baseline won.</summary>
    public int[] Outcomes { get; }

    /// <summary>Per prompt: the label was both_bad (a tie).</summary>
    public bool[] BothBad { get; }

    /// <summary>Prompts not shown because both answers were the same.</summary>
    public int SameAnswer { get; }

    /// <summary>Prompts whose votes split with no plurality (ties).</summary>
    public int Split { get; }

    /// <summary>The two models ranked by a Bradley–Terry fit over every judgment (ratings on the Elo scale, bootstrap intervals).</summary>
    public IReadOnlyList<LeaderboardEntry> Leaderboard { get; }

    /// <summary>
    /// Finds or creates the project for these answers, and returns either the suspension (not every comparison has
    /// <paramref name="overlap"/> judgments or an adjudication yet) or the verdict per prompt.
    /// </summary>
    public static HumanEvaluation Collect(StageContext context, IReadOnlyList<string> prompts, IReadOnlyList<string> policy,
                                          IReadOnlyList<string> baseline, int overlap, long seed)
    {
        if (overlap < 1) throw new WorkflowException($"humanOverlap is {overlap}; it must be 1 or more (judgments per comparison, each by a different annotator)");
        var shown = Enumerable.Range(0, prompts.Count).Where(i => policy[i] != baseline[i]).ToList();
        int same = prompts.Count - shown.Count;
        if (shown.Count == 0)
        {
            context.Log("both models gave the same answer to every prompt: nothing for people to judge");
            return new HumanEvaluation(null, null, [], new int[prompts.Count], new bool[prompts.Count], same, 0, []);
        }

        string name = ProjectName(prompts, policy, baseline, overlap, seed);
        var projects = new ProjectService(context.Database);
        var project = projects.Find(name) ?? projects.Create(new ProjectSettings(name, Guidelines, OverlapK: overlap));
        var import = new ImportService(context.Database).Import(project.Id, ImportKind.Pairs, PairRows(prompts, policy, baseline, shown, seed), "evaluation-pairs.jsonl");
        if (import.ComparisonsCreated > 0)
            context.Log($"blind A/B project '{name}' (id {project.Id}): {import.ComparisonsCreated} comparisons for {overlap} judgment{(overlap == 1 ? "" : "s")} each");

        var set = ComparisonSet.FromDatabase(context.Database, project.Id, name, overlap);
        var rows = JudgmentSnapshot.Read(context.Database, set);
        if (CollectJudgmentsActivity.Waiting(context, project, rows) is { } waiting)
            return new HumanEvaluation(waiting, project, rows, [], [], same, 0, []);

        // Each comparison's label, keyed by (prompt, policy's text, baseline's text).
        var labels = new Dictionary<(string, string, string), AggregatedLabel?>();
        foreach (var row in rows)
        {
            var c = row.Comparison;
            bool policyIsA = c.ModelA == PolicyModel;
            var votes = row.Votes.Select(v => new Vote(OutcomeCodes.Parse(v.Outcome), v.Strength)).ToList();
            var label = PreferenceAggregator.Aggregate(votes, row.Adjudication);
            labels[(c.Prompt, policyIsA ? c.ResponseA : c.ResponseB, policyIsA ? c.ResponseB : c.ResponseA)] =
                label is null || policyIsA ? label : label with { Outcome = label.Outcome switch { Outcome.A => Outcome.B, Outcome.B => Outcome.A, var o => o } };
        }
        var outcomes = new int[prompts.Count];
        var bothBad = new bool[prompts.Count];
        int split = 0;
        foreach (int i in shown)
        {
            if (!labels.TryGetValue((prompts[i], Shown(policy[i]), Shown(baseline[i])), out var label))
                throw new WorkflowException($"labeling project '{name}' has no comparison for held-out prompt {i + 1}; it was changed outside this stage — delete it and run again");
            // In the policy-as-A frame now: A is a policy win.
            outcomes[i] = label?.Outcome switch { Outcome.A => 1, Outcome.B => -1, _ => 0 };
            bothBad[i] = label?.Outcome == Outcome.BothBad;
            if (label is null) split++;
        }
        var leaderboard = new LeaderboardService(context.Database).Compute(project.Id, new LeaderboardOptions(Seed: (int)(seed & int.MaxValue)));
        return new HumanEvaluation(null, project, rows, outcomes, bothBad, same, split, leaderboard);
    }

    /// <summary>report.json's <c>human</c> object.</summary>
    public JsonObject ToJson()
    {
        var win = WinRate.From(Outcomes.Count(o => o > 0), Outcomes.Count(o => o == 0), Outcomes.Count(o => o < 0));
        return new JsonObject
        {
            ["project"] = Project?.Name,
            ["project_id"] = Project?.Id,
            ["overlap"] = Project?.OverlapK,
            ["comparisons"] = Rows.Count,
            ["judgments"] = Rows.Sum(r => r.Votes.Count),
            ["adjudicated"] = Rows.Count(r => r.Adjudication is not null),
            ["same_answer"] = SameAnswer,
            ["win_rate"] = Finite(win.Rate), ["win_rate_low"] = Finite(win.Low), ["win_rate_high"] = Finite(win.High),
            ["wins"] = win.Wins, ["ties"] = win.Ties, ["losses"] = win.Losses,
            ["both_bad"] = BothBad.Count(b => b),
            ["split"] = Split,
            ["leaderboard"] = new JsonArray(Leaderboard.Select(e => (JsonNode)new JsonObject
            {
                ["model"] = e.Model, ["rating"] = Finite(e.Rating), ["lower"] = Finite(e.Lower), ["upper"] = Finite(e.Upper),
                ["battles"] = e.Battles, ["wins"] = e.Wins, ["losses"] = e.Losses, ["ties"] = e.Ties,
            }).ToArray()),
        };
    }

    /// <summary>Writes <c>human-judgments.jsonl</c> (every comparison with its A/B models and votes) into the report folder.</summary>
    public void WriteJudgments(string dir) => JsonLines.Write(Path.Combine(dir, "human-judgments.jsonl"), Rows.Select(JudgmentSnapshot.ToJson));

    private static double? Finite(double value) => double.IsFinite(value) ? value : null;

    private static string Shown(string answer) => answer.Length == 0 ? EmptyAnswer : answer;

    /// <summary><c>eval-</c> + 12 hex digits of SHA-256 over everything that decides the comparisons.</summary>
    internal static string ProjectName(IReadOnlyList<string> prompts, IReadOnlyList<string> policy, IReadOnlyList<string> baseline, int overlap, long seed)
    {
        var json = new JsonObject
        {
            ["overlap"] = overlap, ["seed"] = seed,
            ["prompts"] = new JsonArray(prompts.Select(p => (JsonNode)p).ToArray()),
            ["policy"] = new JsonArray(policy.Select(p => (JsonNode)p).ToArray()),
            ["baseline"] = new JsonArray(baseline.Select(p => (JsonNode)p).ToArray()),
        };
        return "eval-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json.ToJsonString())))[..12];
    }

    /// <summary>The pairs import rows: one per shown prompt, the policy's answer A or B by a seeded coin.</summary>
    private static MemoryStream PairRows(IReadOnlyList<string> prompts, IReadOnlyList<string> policy, IReadOnlyList<string> baseline, List<int> shown, long seed)
    {
        var coin = new SplitMix64((ulong)seed);
        var buffer = new MemoryStream();
        using (var writer = new StreamWriter(buffer, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" })
        {
            foreach (int i in shown)
            {
                bool policyIsA = coin.NextInt(2) == 0;
                var (a, b) = policyIsA ? (policy[i], baseline[i]) : (baseline[i], policy[i]);
                writer.WriteLine(JsonLines.Compact(new JsonObject
                {
                    ["prompt"] = prompts[i],
                    ["response_a"] = Shown(a), ["response_b"] = Shown(b),
                    ["model_a"] = policyIsA ? PolicyModel : BaselineModel, ["model_b"] = policyIsA ? BaselineModel : PolicyModel,
                }));
            }
        }
        buffer.Position = 0;
        return buffer;
    }
}
