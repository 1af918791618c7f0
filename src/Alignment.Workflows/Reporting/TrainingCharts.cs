namespace Alignment.Workflows.Reporting;

/// <summary>A chart file of a report: its name under <c>charts/</c>, its caption and the rendered chart.</summary>
public sealed record ReportChart(string FileName, string Caption, ChartResult Result)
{
    /// <summary>The relative path used in report.md (<c>charts/NAME.svg</c>).</summary>
    public string RelativePath => $"charts/{FileName}";
}

/// <summary>
/// The curves drawn for one trainer run, from the metric names the trainers write (TRL's): loss (and eval_loss), the
/// DPO family's and the reward model's rewards and margins, accuracies, KL (PPO's <c>objective/kl</c>, KTO's
/// <c>kl</c>), PPO's reward (<c>objective/scores</c>, <c>objective/rlhf_reward</c>) and answer length. A chart whose
/// metrics the run never logged is not made; one whose metrics were logged without a finite value is omitted with a note.
/// </summary>
public static class TrainingCharts
{
    /// <summary>One kind of curve: a file suffix, a title, the y axis title, the metric keys (one series each) and values the y axis always covers.</summary>
    public sealed record Spec(string Suffix, string Title, string YLabel, IReadOnlyList<string> Keys, IReadOnlyList<double> YInclude);

    /// <summary>The curves, in report order.</summary>
    public static IReadOnlyList<Spec> Specs { get; } =
    [
        new("loss", "Training loss", "loss", ["loss", "eval_loss"], []),
        new("rewards", "Implicit rewards and margins", "reward", ["rewards/margins", "rewards/chosen", "rewards/rejected", "margin", "rewards/mean"], [0]),
        new("accuracy", "Reward accuracy (chosen scored above rejected)", "share of pairs", ["rewards/accuracies", "accuracy", "eval_rewards/accuracies", "eval_accuracy"], [0, 1]),
        new("kl", "KL to the reference", "KL (nats)", ["objective/kl", "kl"], [0]),
        new("reward", "Reward of sampled answers", "reward", ["objective/scores", "objective/rlhf_reward"], []),
        new("length", "Mean length of sampled answers", "tokens", ["completions/mean_length"], [0]),
    ];

    /// <summary>The charts of <paramref name="run"/>, files named <c>{prefix}-{suffix}.svg</c>, titles starting with <paramref name="label"/>.</summary>
    public static IReadOnlyList<ReportChart> For(TrainingRun run, string prefix, string? label = null)
    {
        var charts = new List<ReportChart>();
        foreach (var spec in Specs)
        {
            var keys = spec.Keys.Where(run.Has).ToList();
            if (keys.Count == 0) continue;
            string title = $"{label ?? run.Activity}: {spec.Title}";
            var chart = new SvgLineChart { Title = title, YLabel = spec.YLabel, YInclude = spec.YInclude };
            charts.Add(new ReportChart($"{prefix}-{spec.Suffix}.svg", title, chart.Render(keys.Select(k => run.Series(k)).ToList())));
        }
        return charts;
    }
}
