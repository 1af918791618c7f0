using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Execution;

/// <summary>
/// Finds the run folder of a trainer stage while it trains. A trainer stage writes into a temporary folder under
/// <c>artifacts/.tmp/</c> (named after the process, not the stage) and stores metrics.jsonl as an artifact only when it
/// ends; so that a dashboard can follow the curves of a running stage, the stage puts a small marker
/// (<see cref="MarkerFile"/>: instance, activity, iteration, total steps) into its run folder. Dot files are never part
/// of the stored model, so the marker changes no artifact hash. The folder also holds the stage's checkpoints: when a
/// process is killed while a stage trains, its folder outlives it (the temp sweep keeps it while the instance is left
/// running) and the resumed stage takes it over and continues from the newest checkpoint.
/// </summary>
public static class StageRunFolders
{
    /// <summary>The marker's file name inside a run folder.</summary>
    public const string MarkerFile = ".stage.json";

    /// <summary>The suffix of run folder names under the temp folder.</summary>
    public const string Suffix = "-run";

    /// <summary>Creates <paramref name="runDir"/> and writes (or rewrites) its marker atomically.</summary>
    public static void Mark(string runDir, string instanceId, string activityId, int iteration, int? totalSteps = null)
    {
        Directory.CreateDirectory(runDir);
        var marker = new JsonObject
        {
            ["instance"] = instanceId, ["activity"] = activityId, ["iteration"] = iteration, ["total_steps"] = totalSteps,
        };
        string path = Path.Combine(runDir, MarkerFile), temp = path + ".tmp";
        File.WriteAllText(temp, marker.ToJsonString());
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>
    /// The run folder of one run of an activity, or null when none is on disk (the stage has not started training,
    /// has finished, or runs on another machine). When a crashed attempt left its folder behind (the temp sweep
    /// removes those only later), the most recently marked folder is the live one.
    /// </summary>
    public static RunFolder? Find(ArtifactStore artifacts, string instanceId, string activityId, int iteration)
    {
        if (!Directory.Exists(artifacts.TempRoot)) return null;
        RunFolder? newest = null;
        var newestTime = DateTime.MinValue;
        foreach (var dir in Directory.EnumerateDirectories(artifacts.TempRoot, "*" + Suffix))
        {
            var path = Path.Combine(dir, MarkerFile);
            var marker = ReadMarker(path);
            if (marker is null) continue;
            if ((string?)marker["instance"] != instanceId || (string?)marker["activity"] != activityId || (int?)marker["iteration"] != iteration) continue;
            var time = File.GetLastWriteTimeUtc(path);
            if (newest is not null && time <= newestTime) continue;
            newest = new RunFolder(dir, (int?)marker["total_steps"]);
            newestTime = time;
        }
        return newest;
    }

    /// <summary>The instance a run folder belongs to (from its marker), or null for anything else.</summary>
    public static string? InstanceOf(string path) =>
        Directory.Exists(path) && path.EndsWith(Suffix, StringComparison.Ordinal) ? (string?)ReadMarker(Path.Combine(path, MarkerFile))?["instance"] : null;

    private static JsonObject? ReadMarker(string path)
    {
        try
        {
            return File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path)) as JsonObject : null;
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null; // removed or being replaced while we looked: treat as absent
        }
    }
}

/// <summary>A trainer stage's run folder found on disk.</summary>
/// <param name="Path">The folder (holds metrics.jsonl once training logs its first step).</param>
/// <param name="TotalSteps">Optimizer steps the trainer announced, or null before it did.</param>
public sealed record RunFolder(string Path, int? TotalSteps);
