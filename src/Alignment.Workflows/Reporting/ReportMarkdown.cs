using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Workflows.Evaluation;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// The text of report.md: title, headline numbers, the regressions, the comparison with the model the policy started
/// from (report.json <c>start</c>: win rate, regressions and every change against it), the win-rate chart, rule hit rates (when the judge reported them),
/// answer lengths, the training curves of each upstream trainer, and example answers before (baseline) and after
/// (policy) with the verdict. Charts are linked by relative paths; every chart note (skipped values, omitted charts)
/// is printed under it; table cells are escaped and answers are shown verbatim in fenced blocks.
/// </summary>
internal static class ReportMarkdown
{
    /// <summary>How many examples the report shows.</summary>
    public const int ExampleCount = 6;

    public static string Build(EvaluationReport report, ReportChart winRate, TaskScores? task, ReportChart? taskChart, ReportChart lengths,
                               IReadOnlyList<TrainingSection> training)
    {
        var s = report.Summary;
        var changes = MetricChange.ListFrom(s);
        var md = new StringBuilder();
        md.Append("# Evaluation report\n\n");
        md.Append($"{Inline(report.Policy)} (policy) against {Inline(report.Baseline)} (baseline), judged by **{Cell(Text(s["judge"]))}** ")
          .Append($"on {Text(s["prompts"])} held-out prompts.\n\n");

        md.Append("| metric | value |\n|---|---|\n");
        md.Append($"| win rate (ties count half) | **{Percent(s["win_rate"])}** (95% interval {Percent(s["win_rate_low"])} – {Percent(s["win_rate_high"])}) |\n");
        md.Append($"| wins / ties / losses | {Text(s["wins"])} / {Text(s["ties"])} / {Text(s["losses"])} |\n");
        if (s["ties_by_cause"] is JsonObject causes)
            md.Append($"| ties by cause | same answer {Text(causes["same_answer"])}, both bad {Text(causes["both_bad"])}, equal score {Text(causes["equal_score"])} |\n");
        md.Append($"| regressions (95% interval wholly worse) | **{changes.Count(c => c.Verdict == ChangeVerdict.Regression)}** of {changes.Count(c => c.Better != Better.Neither)} rules and metrics |\n");
        md.Append($"| mean answer length (tokens) | policy {Fixed(s["mean_length"], 1)}, baseline {Fixed(s["baseline_mean_length"], 1)} |\n");
        if (JsonNumber.Of(s["kl_samples"]) is > 0)
            md.Append($"| KL to the baseline (nats per answer, {Text(s["kl_samples"])} sampled answers at temperature 1) | k1 {Fixed(s["kl"], 3)}, k3 {Fixed(s["kl_k3"], 3)} |\n");
        md.Append($"| log-ratio of the greedy answers, Σ log π − log πbase (not a KL estimate) | {Fixed(s["greedy_log_ratio"] ?? s["kl"], 3)} |\n");
        md.Append($"| reward-model accuracy (held-out pairs, scored at the trained token) | {Percent(s["reward_accuracy"])} |\n");
        if (s["reward_accuracy_by_group"] is JsonObject groups)
            foreach (var (group, value) in groups)
                md.Append($"| reward-model accuracy, group \"{Cell(group)}\" | {Percent((value as JsonObject)?["accuracy"])} ({Text((value as JsonObject)?["pairs"])} pairs) |\n");
        md.Append($"| held-out loss (token NLL) | {Fixed(s["held_out_loss"], 3)} |\n");
        if (task is not null) md.Append($"| task score (rules) | policy {Fixed(task.PolicyScore, 2)}, baseline {Fixed(task.BaselineScore, 2)} |\n");
        var start = s["start"] as JsonObject;
        var startChanges = start is null ? [] : MetricChange.ListFrom(start);
        if (start is not null)
        {
            if (start["win_rate"] is not null)
                md.Append($"| win rate against the start model {Cell(Text(start["model"]))} | **{Percent(start["win_rate"])}** (95% interval {Percent(start["win_rate_low"])} – {Percent(start["win_rate_high"])}; ")
                  .Append($"{Text(start["wins"])} / {Text(start["ties"])} / {Text(start["losses"])}) |\n");
            md.Append($"| regressions against the start model (95% interval wholly worse) | **{startChanges.Count(c => c.Verdict == ChangeVerdict.Regression)}** of {startChanges.Count(c => c.Better != Better.Neither)} rules and metrics |\n");
        }
        md.Append('\n');

        Regressions(md, changes, "## Regressions", "### Every rule and metric", "baseline");
        if (start is not null)
        {
            md.Append($"## Against the start model\n\nThe policy against {Inline(Text(start["model"]))}, the model it was trained from, on the same prompts ")
              .Append($"(that model's answers as its evaluation `{Cell(Text(start["report"])[..Math.Min(12, Text(start["report"]).Length)])}` recorded them). ")
              .Append("A regression here is one even when the policy beats the baseline.\n\n");
            if (TaskScores.From(start["task"]) is { } startTask)
                md.Append($"Rule-judge score: policy **{Fixed(startTask.PolicyScore, 2)}**, start model **{Fixed(startTask.BaselineScore, 2)}**.\n\n");
            Regressions(md, startChanges, "### Regressions against the start model", "### Every rule and metric against the start model", "start model");
        }

        md.Append("## Win rate\n\n");
        Chart(md, winRate);
        if (s["human"] is JsonObject human) HumanJudgments(md, human);

        if (task is not null)
        {
            md.Append("## Task rules\n\n");
            md.Append($"Rule-judge score: policy **{Fixed(task.PolicyScore, 2)}**, baseline **{Fixed(task.BaselineScore, 2)}**.\n\n");
            if (task.Rules.Count > 0)
            {
                md.Append("| rule | score | policy hit rate | baseline hit rate |\n|---|---:|---:|---:|\n");
                foreach (var r in task.Rules)
                    md.Append($"| {Cell(r.Name)} | {Fixed(r.Score, 2)} | {Percent(r.PolicyRate)} | {Percent(r.BaselineRate)} |\n");
                md.Append('\n');
            }
            if (taskChart is not null) Chart(md, taskChart);
        }

        Guard(md, s["guard"] as JsonObject, changes.FirstOrDefault(c => c.Kind == "guard"));

        md.Append("## Answer lengths\n\n");
        Chart(md, lengths);

        md.Append("## Training\n\n");
        if (training.Count == 0) md.Append("No trainer metrics were found upstream of the policy (it was not trained in a workflow stage).\n\n");
        foreach (string note in report.TrainingNotes) md.Append($"- *{Cell(note)}*\n");
        if (report.TrainingNotes.Count > 0) md.Append('\n');
        foreach (var section in training)
        {
            md.Append($"### {Cell(section.Label)} ({Cell(section.Run.StageType)})\n\n");
            md.Append($"{section.Run.Records.Count} logged step{(section.Run.Records.Count == 1 ? "" : "s")}, metrics artifact `{section.Run.MetricsHash[..12]}`.\n\n");
            if (section.Charts.Count == 0) md.Append("*No curves: the run logged none of the charted metrics.*\n\n");
            foreach (var chart in section.Charts) Chart(md, chart);
        }

        md.Append("## Examples\n\n");
        var examples = Examples(report.Answers, ExampleCount);
        if (examples.Count == 0) md.Append("No held-out prompts.\n");
        foreach (var (a, index) in examples)
        {
            md.Append($"### Prompt {index + 1}: {Cell(Verdict(a))}\n\n");
            Block(md, "Prompt", a.Prompt);
            Block(md, $"Before: baseline ({a.BaselineTokens} tokens)", a.Baseline);
            Block(md, $"After: policy ({a.PolicyTokens} tokens)", a.Policy);
        }
        return md.ToString();
    }

    /// <summary>How many guard prompts the report shows with both models' answers.</summary>
    public const int GuardExampleCount = 5;

    /// <summary>The general-ability guard: both models' NLL of the reference answers to prompts unrelated to the task, the
    /// change with its interval and tolerance, and the first prompts with the reference and both answers.</summary>
    private static void Guard(StringBuilder md, JsonObject? guard, MetricChange? change)
    {
        if (guard is null) return;
        md.Append("## General-ability guard\n\n");
        md.Append($"{Text(guard["rows"])} prompts unrelated to the task, each with a reference answer: mean NLL of the reference answers per token, ")
          .Append($"baseline **{Fixed(guard["baseline_nll"], 3)}**, policy **{Fixed(guard["policy_nll"], 3)}**");
        if (change is not null)
            md.Append($" (per-prompt change {ChangeText.Delta(change, change.Delta, false)}, 95% interval {ChangeText.Delta(change, change.Low, false)} to {ChangeText.Delta(change, change.High, false)}; ")
              .Append($"a worsening beyond {Fixed(change.Tolerance, 3)} nats per token with its whole interval is a regression: ")
              .Append(change.Verdict == ChangeVerdict.Regression ? "**it is**" : "it is not").Append(')');
        md.Append(".\n\n");
        if (guard["answers"] is JsonArray answers)
            foreach (var a in answers.OfType<JsonObject>().Take(GuardExampleCount))
            {
                md.Append($"### {Cell(Text(a["prompt"]))}\n\n");
                Block(md, "Reference", Text(a["reference"]));
                Block(md, $"Baseline (NLL of the reference {Fixed(a["baseline_nll"], 3)})", Text(a["baseline"]));
                Block(md, $"Policy (NLL of the reference {Fixed(a["policy_nll"], 3)})", Text(a["policy"]));
            }
    }

    /// <summary>
    /// The Regressions section (every change whose 95% interval lies wholly on the worse side, or a sentence saying there is
    /// none), then every rule and metric with policy, the model compared with (<paramref name="other"/>: the baseline or the
    /// start model), change and interval, regressions first.
    /// </summary>
    private static void Regressions(StringBuilder md, IReadOnlyList<MetricChange> changes, string heading, string tableHeading, string other)
    {
        md.Append(heading).Append("\n\n");
        var regressions = changes.Where(c => c.Verdict == ChangeVerdict.Regression).ToList();
        if (changes.Count == 0) md.Append("*This report predates per-metric changes: nothing was checked.*\n\n");
        else if (regressions.Count == 0)
            md.Append("None: no rule or metric got worse with its 95% interval wholly on the worse side. Changes whose interval reaches both sides are in the table below.\n\n");
        foreach (var c in regressions) md.Append($"- **{Cell(ChangeText.Regression(c))}**\n");
        if (regressions.Count > 0) md.Append('\n');
        if (changes.Count == 0) return;

        md.Append(tableHeading).Append("\n\n");
        md.Append($"Policy against {(other == "baseline" ? other : "the " + other)} on the same prompts; the interval is the 95% interval of the change (paired over prompts).\n\n");
        md.Append($"| rule or metric | better | {other} | policy | change | 95% interval | verdict |\n|---|---|---:|---:|---:|---:|---|\n");
        foreach (var c in changes.OrderBy(c => c.Verdict == ChangeVerdict.Regression ? 0 : 1))
        {
            string better = c.Better switch { Better.Higher => "higher", Better.Lower => "lower", _ => "—" };
            string interval = double.IsFinite(c.Low) && double.IsFinite(c.High) ? $"{ChangeText.Delta(c, c.Low, false)} to {ChangeText.Delta(c, c.High, false)}" : "—";
            string verdict = c.Verdict switch { ChangeVerdict.Regression => "**regression**", ChangeVerdict.Improvement => "improvement", _ => c.Better == Better.Neither ? "shown only" : "no clear change" };
            md.Append($"| {Cell(c.Name)} | {better} | {ChangeText.Value(c, c.Baseline)} | {ChangeText.Value(c, c.Policy)} | {ChangeText.Delta(c, c.Delta, true)} | {interval} | {verdict} |\n");
        }
        md.Append('\n');
    }

    /// <summary>The Human judgments section of a blind A/B evaluation (report.json's <c>human</c>): win rate and the Bradley–Terry leaderboard.</summary>
    private static void HumanJudgments(StringBuilder md, JsonObject h)
    {
        md.Append("## Human judgments\n\n");
        md.Append($"Blind A/B: annotators saw each prompt with both answers in random order and no model names, {Text(h["overlap"])} judgment(s) per comparison ")
          .Append($"(labeling project {Inline(Text(h["project"]))}): {Text(h["comparisons"])} comparisons, {Text(h["judgments"])} judgments, {Text(h["adjudicated"])} adjudicated. ")
          .Append($"{Text(h["same_answer"])} prompts got the same answer from both models and count as ties without being shown; a split vote is a tie.\n\n");
        md.Append("| metric | value |\n|---|---|\n");
        md.Append($"| human win rate (ties and both bad count half) | **{Percent(h["win_rate"])}** (95% interval {Percent(h["win_rate_low"])} – {Percent(h["win_rate_high"])}) |\n");
        md.Append($"| wins / ties / losses | {Text(h["wins"])} / {Text(h["ties"])} / {Text(h["losses"])} |\n");
        md.Append($"| ties: both bad / split votes / same answer | {Text(h["both_bad"])} / {Text(h["split"])} / {Text(h["same_answer"])} |\n\n");
        if (h["leaderboard"] is not JsonArray { Count: > 0 } board) return;
        md.Append("Bradley–Terry leaderboard over every judgment (Elo scale, 95% bootstrap interval; a tie or both bad is half a win each side):\n\n");
        md.Append("| model | rating | 95% interval | judgments | wins | losses | ties |\n|---|---:|---:|---:|---:|---:|---:|\n");
        foreach (var e in board.OfType<JsonObject>())
            md.Append($"| {Cell(Text(e["model"]))} | {Fixed(e["rating"], 0)} | {Fixed(e["lower"], 0)} – {Fixed(e["upper"], 0)} | {Text(e["battles"])} | {Text(e["wins"])} | {Text(e["losses"])} | {Text(e["ties"])} |\n");
        md.Append('\n');
    }

    /// <summary>
    /// Up to <paramref name="count"/> answers in prompt order, balanced across verdicts: first up to a third each of policy
    /// wins, baseline wins and ties, then the rest in order.
    /// </summary>
    internal static List<(EvaluatedAnswer Answer, int Index)> Examples(IReadOnlyList<EvaluatedAnswer> answers, int count)
    {
        var indexed = answers.Select((a, i) => (a, i)).ToList();
        int each = Math.Max(1, count / 3);
        var picked = new[] { 1, -1, 0 }.SelectMany(o => indexed.Where(x => Math.Sign(x.a.Outcome) == o).Take(each)).Take(count).ToList();
        picked.AddRange(indexed.Where(x => !picked.Contains(x)).Take(count - picked.Count));
        return picked.OrderBy(x => x.i).ToList();
    }

    private static string Verdict(EvaluatedAnswer a) => a.Outcome > 0 ? "the policy wins" : a.Outcome < 0 ? "the baseline wins" : "tie";

    private static void Chart(StringBuilder md, ReportChart chart)
    {
        if (chart.Result.Drawn) md.Append($"![{Alt(chart.Caption)}]({chart.RelativePath})\n\n");
        else md.Append($"*{Cell(chart.Caption)}: chart omitted.*\n\n");
        foreach (string note in chart.Result.Notes) md.Append($"- *{Cell(note)}*\n");
        if (chart.Result.Notes.Count > 0) md.Append('\n');
    }

    /// <summary>A labelled verbatim block; the fence is longer than any backtick run inside the text.</summary>
    private static void Block(StringBuilder md, string label, string text)
    {
        int longest = 0, run = 0;
        foreach (char c in text)
        {
            run = c == '`' ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        string fence = new('`', Math.Max(3, longest + 1));
        md.Append($"**{label}**\n\n{fence}text\n{(text.Length == 0 ? "(empty answer)" : text.ReplaceLineEndings("\n"))}\n{fence}\n\n");
    }

    /// <summary>Text safe in a table cell or a line of markdown: no line breaks, pipes and markup characters escaped, no raw HTML.</summary>
    internal static string Cell(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text.ReplaceLineEndings(" "))
        {
            if (c is '|' or '\\' or '*' or '_' or '`' or '[' or ']' or '#') sb.Append('\\').Append(c);
            else if (c == '<') sb.Append("&lt;");
            else if (c == '>') sb.Append("&gt;");
            else if (c == '&') sb.Append("&amp;");
            else sb.Append(c);
        }
        return sb.ToString();
    }

    private static string Alt(string text) => Cell(text);

    private static string Inline(string text) => $"`{text.Replace('`', '\'')}`";

    private static string Text(JsonNode? node) => node switch
    {
        null => "—",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when JsonNumber.Of(v) is { } number => number.ToString("0.####", CultureInfo.InvariantCulture),
        _ => node.ToJsonString(),
    };

    private static string Percent(JsonNode? node) => Percent(JsonNumber.OrNaN(node));

    private static string Percent(double share) => double.IsFinite(share) ? (share * 100).ToString("F1", CultureInfo.InvariantCulture) + "%" : "—";

    private static string Fixed(JsonNode? node, int decimals) => Fixed(JsonNumber.OrNaN(node), decimals);

    private static string Fixed(double value, int decimals) =>
        double.IsFinite(value) ? value.ToString("F" + decimals.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture) : "—";
}
