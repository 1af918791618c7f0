using System.Diagnostics;
using System.Globalization;

namespace Alignment.Training.Runtime;

/// <summary>Where a trainer reports progress: a console progress bar (the CLI's Spectre one), plain lines, or nothing.</summary>
public interface ITrainingProgress
{
    /// <summary>The run starts (or resumes) at <paramref name="completedSteps"/> of <paramref name="totalSteps"/>.</summary>
    void Start(string stage, int completedSteps, int totalSteps);

    /// <summary>A step finished; <paramref name="loss"/> is its loss.</summary>
    void Step(int step, double loss);

    /// <summary>A line worth showing (evaluation results, checkpoints, warnings).</summary>
    void Message(string text);

    void Finish();
}

/// <summary>Reports nothing (library use and tests).</summary>
public sealed class NoProgress : ITrainingProgress
{
    public static readonly NoProgress Instance = new();
    public void Start(string stage, int completedSteps, int totalSteps) { }
    public void Step(int step, double loss) { }
    public void Message(string text) { }
    public void Finish() { }
}

/// <summary>Plain text lines for logs and non-terminals: one line every <c>every</c> steps with loss, rate and ETA.</summary>
public sealed class LineProgress(TextWriter writer, int every = 10) : ITrainingProgress
{
    private readonly Stopwatch clock = new();
    private int total, first;
    private string stage = "";

    public void Start(string stage, int completedSteps, int totalSteps)
    {
        this.stage = stage;
        total = totalSteps;
        first = completedSteps;
        clock.Restart();
        writer.WriteLine($"{stage}: {(completedSteps > 0 ? $"resuming at step {completedSteps}" : "starting")}, {totalSteps} steps");
    }

    public void Step(int step, double loss)
    {
        if (step % Math.Max(1, every) != 0 && step != total) return;
        double perStep = clock.Elapsed.TotalSeconds / Math.Max(1, step - first);
        var eta = TimeSpan.FromSeconds(perStep * (total - step));
        writer.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{stage}: step {step}/{total}  loss {loss:G5}  {perStep:F2} s/step  ETA {eta:hh\\:mm\\:ss}"));
    }

    public void Message(string text) => writer.WriteLine($"{stage}: {text}");

    public void Finish() => writer.WriteLine($"{stage}: done in {clock.Elapsed:hh\\:mm\\:ss}");
}
