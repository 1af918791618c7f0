using System.Globalization;
using Alignment.Training.State;

namespace Alignment.Training.Checkpoints;

/// <summary>
/// checkpoints/step-N folders under a run's output folder: each written atomically (temporary folder, then rename),
/// the oldest removed beyond save_total_limit, the newest found for `resume_from: latest`. The final model files are
/// moved into the output folder one by one from a finished temporary folder, so the output never holds half a model.
/// </summary>
public sealed class CheckpointStore(string outputDir)
{
    public const string Folder = "checkpoints";
    public const string OptimizerFile = "optimizer.safetensors";
    public const string SchedulerFile = "scheduler.json";

    public string OutputDir { get; } = Path.GetFullPath(outputDir);
    public string Root => Path.Combine(OutputDir, Folder);

    public string PathOf(int step) => Path.Combine(Root, $"step-{step}");

    /// <summary>Completed checkpoints, oldest first.</summary>
    public List<(int step, string path)> List()
    {
        if (!Directory.Exists(Root)) return new();
        return Directory.EnumerateDirectories(Root, "step-*")
            .Select(d => (ok: int.TryParse(Path.GetFileName(d)["step-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out int s), s, d))
            .Where(x => x.ok && File.Exists(Path.Combine(x.d, TrainerState.FileName)))
            .OrderBy(x => x.s).Select(x => (x.s, x.d)).ToList();
    }

    /// <summary>Writes step-N (fill gets an empty folder), then removes the oldest beyond <paramref name="keep"/> (0 = keep all).</summary>
    public string Write(int step, int keep, Action<string> fill)
    {
        string path = PathOf(step);
        AtomicDirectory.Write(path, fill);
        if (keep > 0)
            foreach (var (_, old) in List().SkipLast(keep)) Directory.Delete(old, recursive: true);
        return path;
    }

    /// <summary>A checkpoint folder from `resume_from`: a path, or "latest".</summary>
    public string Resolve(string resumeFrom)
    {
        if (resumeFrom == "latest")
        {
            var all = List();
            if (all.Count == 0) throw new TrainingException($"resume_from latest: {Root} holds no checkpoint");
            return all[^1].path;
        }
        string full = Path.GetFullPath(resumeFrom);
        if (!Directory.Exists(full)) throw new TrainingException($"resume_from {resumeFrom}: no such folder");
        if (!File.Exists(Path.Combine(full, TrainerState.FileName)))
            throw new TrainingException($"resume_from {resumeFrom}: not a checkpoint ({TrainerState.FileName} is missing); give checkpoints/step-N or latest");
        return full;
    }

    /// <summary>Writes the final model: fill gets an empty temporary folder inside the output folder; its files are then
    /// moved into the output folder (replacing older ones).</summary>
    public void WriteFinal(Action<string> fill)
    {
        Directory.CreateDirectory(OutputDir);
        foreach (string stale in Directory.EnumerateDirectories(OutputDir, ".final.tmp-*")) Directory.Delete(stale, recursive: true);
        string tmp = Path.Combine(OutputDir, $".final.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            foreach (string file in Directory.EnumerateFiles(tmp))
                File.Move(file, Path.Combine(OutputDir, Path.GetFileName(file)), overwrite: true);
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }
}
