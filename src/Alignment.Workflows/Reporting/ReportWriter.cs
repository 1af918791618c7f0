using System.Text;
using System.Text.Json;
using System.Text.Encodings.Web;
using System.Text.Json.Nodes;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Reporting;

/// <summary>
/// Writes an evaluation report folder: <c>report.md</c> (GitHub-flavoured markdown: headline table, charts, examples),
/// <c>charts/*.svg</c> referenced from it by relative paths, <c>report.json</c> (the numbers, plus the chart files and
/// the training runs shown) and <c>answers.jsonl</c>. Everything written is a function of the inputs only (no clock,
/// no absolute paths, invariant culture), so the same evaluation gives the same artifact hash.
/// </summary>
public static class ReportWriter
{
    /// <summary>The charts folder inside the report.</summary>
    public const string ChartsFolder = "charts";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes the report into <paramref name="dir"/> (an existing, empty folder).</summary>
    public static void Write(string dir, EvaluationReport report)
    {
        var summary = report.Summary;
        var winRate = new ReportChart("win-rate.svg", "Win rate with its 95% interval", new SvgIntervalChart { Title = "Win rate of the policy against the baseline" }
            .Render([new IntervalItem("policy vs baseline", JsonNumber.OrNaN(summary["win_rate"]), JsonNumber.OrNaN(summary["win_rate_low"]), JsonNumber.OrNaN(summary["win_rate_high"]))]));
        var task = TaskScores.From(summary["task"]);
        var taskChart = task is null ? null : new ReportChart("task-rules.svg", "Rule hit rates, policy and baseline", new SvgBarChart
        {
            Title = "Rule hit rates: policy and baseline", YLabel = "share of answers", XLabel = "rule", YInclude = [1], Format = SvgIntervalChart.Percent,
        }.Render(task.Rules.Select(r => r.Name).ToList(), [("policy", task.Rules.Select(r => r.PolicyRate).ToList()), ("baseline", task.Rules.Select(r => r.BaselineRate).ToList())]));
        var lengths = new ReportChart("lengths.svg", "Answer lengths, policy and baseline", new SvgHistogram { Title = "Answer length: policy and baseline", XLabel = "answer length (tokens)" }
            .Render([("policy", report.Answers.Select(a => (double)a.PolicyTokens).ToList()), ("baseline", report.Answers.Select(a => (double)a.BaselineTokens).ToList())]));
        var training = TrainingSections(report.Training);

        var all = new[] { winRate, taskChart, lengths }.OfType<ReportChart>().Concat(training.SelectMany(t => t.Charts)).ToList();
        Directory.CreateDirectory(Path.Combine(dir, ChartsFolder));
        foreach (var chart in all.Where(c => c.Result.Drawn))
            WriteText(Path.Combine(dir, ChartsFolder, chart.FileName), chart.Result.Svg!);

        var json = summary.DeepClone().AsObject();
        json["charts"] = new JsonArray(all.Where(c => c.Result.Drawn).Select(c => (JsonNode)JsonValue.Create(c.RelativePath)).ToArray());
        json["training"] = new JsonArray(report.Training.Select(r => (JsonNode)new JsonObject
        {
            ["stage"] = r.Activity, ["type"] = r.StageType, ["metrics"] = r.MetricsHash, ["records"] = r.Records.Count,
        }).ToArray());
        WriteText(Path.Combine(dir, "report.json"), json.ToJsonString(Indented) + "\n");
        JsonLines.Write(Path.Combine(dir, "answers.jsonl"), report.Answers.Select(a => new JsonObject
        {
            ["prompt"] = a.Prompt, ["policy"] = a.Policy, ["baseline"] = a.Baseline, ["outcome"] = a.Verdict,
            ["policy_tokens"] = a.PolicyTokens, ["baseline_tokens"] = a.BaselineTokens,
        }));
        WriteText(Path.Combine(dir, "report.md"), ReportMarkdown.Build(report, winRate, task, taskChart, lengths, training));
    }

    /// <summary>The charts of each trainer run; runs of the same activity (rounds of a loop) get numbered file prefixes.</summary>
    private static List<TrainingSection> TrainingSections(IReadOnlyList<TrainingRun> runs)
    {
        var used = new Dictionary<string, int>(StringComparer.Ordinal);
        var sections = new List<TrainingSection>();
        foreach (var run in runs)
        {
            string stem = FileStem(run.Activity);
            int n = used[stem] = used.GetValueOrDefault(stem) + 1;
            string prefix = n == 1 ? stem : $"{stem}-{n}";
            string label = n == 1 ? run.Activity : $"{run.Activity}, run {n}";
            sections.Add(new TrainingSection(run, label, TrainingCharts.For(run, prefix, label)));
        }
        return sections;
    }

    /// <summary>An activity id as a file name: letters, digits, '-' and '_' kept, anything else '-'.</summary>
    internal static string FileStem(string activity)
    {
        var sb = new StringBuilder();
        foreach (char c in activity) sb.Append(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? char.ToLowerInvariant(c) : '-');
        return sb.Length == 0 ? "stage" : sb.ToString();
    }

    private static void WriteText(string path, string text) => File.WriteAllText(path, text, new UTF8Encoding(false));
}

/// <summary>One trainer run, its heading (the activity, numbered from its second run on) and its charts.</summary>
internal sealed record TrainingSection(TrainingRun Run, string Label, IReadOnlyList<ReportChart> Charts);
