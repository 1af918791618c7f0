using System.ComponentModel;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Alignment.Cli.Bench;

/// <summary>The PyTorch eager GRPO loop's numbers on the grpo case's shapes, or why it did not run.</summary>
public sealed record EagerGrpoResult(
    [property: JsonPropertyName("torch")] string? Torch,
    [property: JsonPropertyName("generated_tokens_per_second")] double? GeneratedTokensPerSecond,
    [property: JsonPropertyName("steps_per_second")] double? StepsPerSecond,
    [property: JsonPropertyName("peak_rss_mb")] double? PeakRssMb,
    [property: JsonPropertyName("not_run")] string? NotRun = null);

/// <summary>
/// Runs tests/Alignment.Training.Tests/reference/grpo_bench.py (the eager GRPO loop on the shapes of
/// <see cref="TrainBench"/>'s grpo case) with /usr/bin/python3 (else python3 on the PATH), when the script is found above
/// the current folder or the program's folder and that python has torch.
/// </summary>
public static class EagerGrpo
{
    public const string Script = "tests/Alignment.Training.Tests/reference/grpo_bench.py";

    /// <summary>Steps/s of ours over the eager loop's that the grpo case aims at.</summary>
    public const double Target = 1.5;

    public static string? FindScript()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, Script))) return Path.Combine(dir.FullName, Script);
        return null;
    }

    public static EagerGrpoResult Run(int threads, int steps)
    {
        string? script = FindScript();
        if (script is null) return NotRun($"{Script} not found above the current folder (run from the repository)");
        string python = File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
        var psi = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string a in new[] { script, "--threads", threads.ToString(), "--steps", steps.ToString() }) psi.ArgumentList.Add(a);
        try
        {
            using var p = Process.Start(psi)!;
            var stderr = p.StandardError.ReadToEndAsync();
            string stdout = p.StandardOutput.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode != 0)
                return NotRun(stderr.Result.Contains("No module named 'torch'", StringComparison.Ordinal)
                    ? $"{python} has no torch (Debian: apt install python3-torch)"
                    : $"{script} failed ({p.ExitCode}): {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            return JsonSerializer.Deserialize<EagerGrpoResult>(stdout) ?? NotRun($"{script} printed nothing");
        }
        catch (Win32Exception e)
        {
            return NotRun($"{python} could not be started: {e.Message}");
        }
    }

    private static EagerGrpoResult NotRun(string why) => new(null, null, null, null, why);
}
