using System.Globalization;
using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Reporting;
using Alignment.Workflows.Execution;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>
/// The table `align demo` prints at the end, from the instance's executions: time per stage, the DPO, PPO and GRPO
/// policies' win rates against SFT with their 95% intervals, the task metric (mean rule score) and each rule's hit rate
/// SFT → DPO → PPO → GRPO, each policy's right-sum change with its interval, the sampled KL, and for a policy trained
/// from another (PPO and GRPO from DPO) the same against the model it started from: win rate, right-sum change and
/// regressions; every regression of each policy, against SFT and against its start model (a rule or metric whose 95%
/// interval lies wholly on the worse side, one <c>REGRESSION …</c> line each), the reward model's held-out accuracy (per pair group too), where the reports are, and
/// what to do next. Activity ids are those of
/// workflows/demo-rlhf.json (<c>rm</c>, <c>evaluateDpo</c>, <c>evaluatePpo</c>, <c>evaluateGrpo</c>).
/// </summary>
internal static class DemoSummary
{
    public static void Print(CommandContext ctx, InstanceDetail detail, ArtifactStore artifacts, string home)
    {
        var console = ctx.Console;
        var latest = detail.Executions.Where(e => e.Status.HasOutputs())
            .GroupBy(e => e.ActivityId).ToDictionary(g => g.Key, g => g.Last(), StringComparer.Ordinal);

        var stages = new Table().Title("Stages").AddColumns("stage", "type", "result", "seconds");
        stages.Columns[3].RightAligned();
        double total = 0;
        foreach (var e in detail.Executions.Where(e => e.ActivityType.StartsWith("Alignment.", StringComparison.Ordinal)))
        {
            double seconds = e.DurationSeconds ?? 0;
            total += seconds;
            stages.AddRow(Markup.Escape(e.ActivityName ?? e.ActivityId), e.ActivityType["Alignment.".Length..], e.Status.ToCode(), F(seconds, "F1"));
        }
        stages.AddRow("[bold]total[/]", "", "", $"[bold]{F(total, "F1")}[/]");
        console.Write(stages);

        var dpo = Outputs(latest, "evaluateDpo");
        var ppo = Outputs(latest, "evaluatePpo");
        var grpo = Outputs(latest, "evaluateGrpo");
        var results = new Table().Title("Results on held-out prompts (scripted judge)").AddColumns("", "SFT", "DPO", "PPO", "GRPO");
        results.AddRow("win rate vs SFT [grey](95% Wilson interval)[/]", "—", WinRate(dpo), WinRate(ppo), WinRate(grpo));
        results.AddRow("task score [grey](mean rule score)[/]", Number(dpo?["baselineTaskScore"]), Number(dpo?["taskScore"]), Number(ppo?["taskScore"]), Number(grpo?["taskScore"]));
        results.AddRow("mean answer length [grey](tokens)[/]", "", Number(dpo?["meanLength"], "F1"), Number(ppo?["meanLength"], "F1"), Number(grpo?["meanLength"], "F1"));
        results.AddRow("KL to SFT [grey](nats per answer, sampled)[/]", "", Number(dpo?["kl"]), Number(ppo?["kl"]), Number(grpo?["kl"]));
        results.AddRow("regressions [grey](rules and metrics worse, 95% interval)[/]", "", Number(dpo?["regressions"], "F0"), Number(ppo?["regressions"], "F0"), Number(grpo?["regressions"], "F0"));

        var reports = new[] { ("DPO", dpo), ("PPO", ppo), ("GRPO", grpo) }
            .Select(x => (Name: x.Item1, Report: x.Item2?["report"] is JsonValue hash ? artifacts.Find((string)hash!) : null)).ToList();
        // Against the model each policy started from (report.json "start"; DPO's start is SFT, the baseline itself).
        var starts = reports.Select(r => StartOf(r.Report, reports)).ToList();
        string StartName(int i) => starts[i]?.Name ?? "SFT";
        results.AddRow("started from", "", StartName(0), StartName(1), StartName(2));
        string StartWinRate(int i, JsonObject? outputs) => starts[i] is null ? "[grey]= vs SFT[/]"
            : WinRate(outputs is null ? null : new JsonObject { ["winRate"] = outputs["startWinRate"]?.DeepClone(), ["winRateLow"] = outputs["startWinRateLow"]?.DeepClone(), ["winRateHigh"] = outputs["startWinRateHigh"]?.DeepClone() });
        results.AddRow("win rate vs start model [grey](95% Wilson interval)[/]", "", StartWinRate(0, dpo), StartWinRate(1, ppo), StartWinRate(2, grpo));
        string StartRegressions(int i) => starts[i] is { } st ? st.Changes.Count(c => c.Verdict == ChangeVerdict.Regression).ToString(CultureInfo.InvariantCulture) : "[grey]= vs SFT[/]";
        results.AddRow("regressions vs start model [grey](95% interval)[/]", "", StartRegressions(0), StartRegressions(1), StartRegressions(2));
        // Each rule's hit rate per policy (report.json "task"), SFT's from any report (it is every evaluation's baseline).
        var tasks = reports.Select(r => r.Report is { } a ? ReportFile.Read(a.Path)?["task"]?["rules"] as JsonArray : null).ToList();
        var ruleNames = tasks.FirstOrDefault(t => t is not null)?.Select(r => (string?)r?["name"]).OfType<string>().ToList() ?? [];
        foreach (string rule in ruleNames)
        {
            JsonNode? Rate(int policy, string key) => tasks[policy]?.FirstOrDefault(r => (string?)r?["name"] == rule)?[key];
            var sft = Enumerable.Range(0, tasks.Count).Select(i => Rate(i, "baselineRate")).FirstOrDefault(x => x is not null);
            results.AddRow($"rule [italic]{Markup.Escape(rule)}[/] [grey](share of answers)[/]", Number(sft, "P1"), Number(Rate(0, "policyRate"), "P1"),
                           Number(Rate(1, "policyRate"), "P1"), Number(Rate(2, "policyRate"), "P1"));
        }
        console.Write(results);
        for (int i = 0; i < reports.Count; i++)
        {
            var (name, report) = reports[i];
            if (report is null) continue;
            var change = ReportFile.Changes(report.Path).FirstOrDefault(c => c.Kind == "rule" && c.Name == "right sum");
            if (change is not null) ctx.Out.WriteLine($"{name} right sum: {RightSum(change)}");
            if (starts[i]?.Changes.FirstOrDefault(c => c.Kind == "rule" && c.Name == "right sum") is { } fromStart)
                ctx.Out.WriteLine($"{name} right sum against {starts[i]!.Value.Name}, the model it started from: {RightSum(fromStart)}");
        }
        double? rmAccuracy = Value(dpo?["rewardAccuracy"]) is { } a && a >= 0 ? a : null;
        double? rmTrain = Value(Outputs(latest, "rm")?["accuracy"]);
        var groups = reports[0].Report is { } dpoReport ? ReportFile.Read(dpoReport.Path)?["reward_accuracy_by_group"] as JsonObject : null;
        string byGroup = groups is null ? "" : "; by pair group: " + string.Join(", ", groups.Select(g => $"{g.Key} {(Value((g.Value as JsonObject)?["accuracy"]) is { } x ? F(x, "P1") : "—")}"));
        ctx.Out.WriteLine($"reward model held-out accuracy: {(rmAccuracy is { } acc ? F(acc, "P1") : "—")}" +
                          (rmTrain is { } t ? $" (last training batch {F(t, "P1")})" : "") + byGroup);
        foreach (var (name, report) in reports)
        {
            if (report is null) continue;
            var changes = ReportFile.Changes(report.Path);
            var regressions = changes.Where(c => c.Verdict == ChangeVerdict.Regression).ToList();
            ctx.Out.WriteLine(regressions.Count == 0
                ? $"{name}: no regressions ({changes.Count(c => c.Better != Better.Neither)} rules and metrics checked against SFT, 95% intervals)"
                : $"{name}: {regressions.Count} regression{(regressions.Count == 1 ? "" : "s")} against SFT:");
            foreach (var c in regressions) ctx.Out.WriteLine($"  {ChangeText.Regression(c)}");
            if (starts[reports.FindIndex(r => r.Name == name)] is not { } start) continue;
            var fromStart = start.Changes.Where(c => c.Verdict == ChangeVerdict.Regression).ToList();
            ctx.Out.WriteLine(fromStart.Count == 0
                ? $"{name}: no regressions against {start.Name}, the model it started from ({start.Changes.Count(c => c.Better != Better.Neither)} rules and metrics checked, 95% intervals)"
                : $"{name}: {fromStart.Count} regression{(fromStart.Count == 1 ? "" : "s")} against {start.Name}, the model it started from:");
            foreach (var c in fromStart) ctx.Out.WriteLine($"  {ChangeText.Regression(c)}");
        }
        foreach (var (name, report) in reports)
            if (report is not null) ctx.Out.WriteLine($"{name} report: {Path.Combine(report.Path, "report.md")}");
        ctx.Out.WriteLine();
        ctx.Out.WriteLine("Next steps:");
        (string Command, string What)[] steps =
        [
            ($"align status {detail.Instance.Id[..12]} --home {home}", "every stage, its parameters and outputs"),
            ($"align serve --home {home}", "browse the judged comparisons and the leaderboard in the web app"),
            ("align demo --human", "judge the sampled answers yourself in the browser"),
            ("align demo --input dpoSteps=200", "change a setting: unchanged stages come from the cache"),
        ];
        int width = steps.Max(s => s.Command.Length);
        foreach (var (command, what) in steps) ctx.Out.WriteLine($"  {command.PadRight(width)}   {what}");
    }

    /// <summary>The model a policy's evaluation compared it with as its start (report.json <c>start</c>), named as the demo names
    /// it when that is one of the demo's evaluated policies, with the changes against it; null when there is none.</summary>
    private static (string Name, IReadOnlyList<MetricChange> Changes)? StartOf(ArtifactRecord? report, List<(string Name, ArtifactRecord? Report)> reports)
    {
        if (report is null || ReportFile.Read(report.Path)?["start"] is not JsonObject start) return null;
        string? hash = (string?)(start["report"] as JsonValue);
        string name = reports.FirstOrDefault(r => r.Report is not null && r.Report.Hash == hash).Name ?? (string?)(start["model"] as JsonValue) ?? "the start model";
        return (name, MetricChange.ListFrom(start));
    }

    private static string RightSum(MetricChange change) =>
        $"{F(change.Baseline, "P1")} → {F(change.Policy, "P1")} ({F(100 * change.Delta, "+0.0;-0.0")} points, " +
        $"95% interval {F(100 * change.Low, "+0.0;-0.0")} to {F(100 * change.High, "+0.0;-0.0")})";

    private static JsonObject? Outputs(Dictionary<string, ExecutionInfo> latest, string activity) =>
        latest.TryGetValue(activity, out var e) ? e.Outputs : null;

    private static double? Value(JsonNode? node) => node is JsonValue v && v.TryGetValue<double>(out double d) ? d : null;

    private static string Number(JsonNode? node, string format = "F2") => Value(node) is { } d ? F(d, format) : "—";

    private static string WinRate(JsonObject? outputs) =>
        Value(outputs?["winRate"]) is { } rate
            ? $"{F(rate, "P1")} [grey]({F(Value(outputs!["winRateLow"]) ?? double.NaN, "P1")} – {F(Value(outputs["winRateHigh"]) ?? double.NaN, "P1")})[/]"
            : "—";

    private static string F(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);
}
