using System.Diagnostics;
using System.Globalization;
using Alignment.Workflows.Execution;
using Spectre.Console;

namespace Alignment.Cli.Commands;

/// <summary>
/// Shows `align demo`'s progress per stage: on an interactive terminal a Spectre progress bar per stage with its
/// remaining time; otherwise one line when a stage starts, at each quarter of its progress (with an estimate of the
/// time left from the rate so far) and when it ends.
/// </summary>
internal sealed class DemoProgress : IWorkflowObserver
{
    private readonly TextWriter _out;
    private readonly ProgressContext? _bars;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, (Stopwatch Clock, int Quarter, ProgressTask? Bar)> _running = new(StringComparer.Ordinal);
    private readonly Stopwatch _total = Stopwatch.StartNew();

    private DemoProgress(TextWriter output, ProgressContext? bars)
    {
        _out = output;
        _bars = bars;
    }

    /// <summary>Runs <paramref name="work"/> with progress shown on <paramref name="ctx"/>'s console (bars when interactive).</summary>
    public static T Show<T>(CommandContext ctx, Func<IWorkflowObserver, T> work)
    {
        if (!ctx.Console.Profile.Capabilities.Interactive) return work(new DemoProgress(ctx.Out, null));
        T result = default!;
        ctx.Console.Progress()
            .Columns(new TaskDescriptionColumn { Alignment = Justify.Left }, new ProgressBarColumn(), new PercentageColumn(),
                     new ElapsedTimeColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(p => result = work(new DemoProgress(ctx.Out, p)));
        return result;
    }

    public void OnEvent(WorkflowEvent e)
    {
        if (e.ActivityType?.StartsWith("Elsa.", StringComparison.Ordinal) == true) return;   // fork and join: instant, no progress
        lock (_lock)
        {
            string label = e.ActivityName is { Length: > 0 } name ? name : e.ActivityId;
            switch (e.Kind)
            {
                case WorkflowEventKind.Started:
                    _running[e.ActivityId] = (Stopwatch.StartNew(), 0, _bars?.AddTask(Markup.Escape(label), maxValue: 1.0));
                    Line($"{label}: started");
                    break;
                case WorkflowEventKind.Progress when _running.TryGetValue(e.ActivityId, out var run):
                    if (ParseFraction(e.Message) is not { } fraction) break;
                    if (run.Bar is { } bar) bar.Value = fraction;
                    int quarter = (int)(fraction * 4);
                    if (quarter > run.Quarter && quarter < 4 && fraction > 0)
                    {
                        double left = run.Clock.Elapsed.TotalSeconds * (1 - fraction) / fraction;
                        Line(string.Create(CultureInfo.InvariantCulture, $"{label}: {fraction:P0}, about {Seconds(left)} left"));
                        _running[e.ActivityId] = run with { Quarter = quarter };
                    }
                    break;
                case WorkflowEventKind.Completed or WorkflowEventKind.Cached or WorkflowEventKind.Suspended or WorkflowEventKind.Faulted or WorkflowEventKind.Cancelled:
                    string what = e.Kind switch
                    {
                        WorkflowEventKind.Cached => "cached (an identical earlier run)",
                        WorkflowEventKind.Suspended => $"waiting: {e.Message}",
                        WorkflowEventKind.Faulted => $"failed: {e.Message}",
                        WorkflowEventKind.Cancelled => "cancelled",
                        _ => "done",
                    };
                    if (_running.Remove(e.ActivityId, out var done))
                    {
                        if (done.Bar is { } b) { b.Value = b.MaxValue; b.StopTask(); }
                        if (e.Kind is WorkflowEventKind.Completed) what += $" in {Seconds(done.Clock.Elapsed.TotalSeconds)}";
                    }
                    Line($"{label}: {what}");
                    break;
            }
        }
    }

    /// <summary>The fraction at the start of a progress message ("40% policy answers" → 0.4), or null.</summary>
    internal static double? ParseFraction(string message)
    {
        int percent = message.IndexOf('%');
        if (percent <= 0) return null;
        string number = message[..percent].Trim().Replace('\u00a0', ' ').Trim();
        return double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) ? Math.Clamp(value / 100, 0, 1) : null;
    }

    internal static string Seconds(double seconds) => seconds < 90
        ? string.Create(CultureInfo.InvariantCulture, $"{seconds:F1}s")
        : string.Create(CultureInfo.InvariantCulture, $"{(int)(seconds / 60)}m{(int)(seconds % 60):D2}s");

    private void Line(string text)
    {
        string stamp = Seconds(_total.Elapsed.TotalSeconds).PadLeft(7);
        if (_bars is not null) return;   // the bars say it on a terminal
        _out.WriteLine($"[{stamp}] {text}");
        _out.Flush();
    }
}
