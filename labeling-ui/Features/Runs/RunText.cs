using System.Globalization;
using Alignment.Workflows.Execution;
using Alignment.Workflows.Queries;

namespace Alignment.LabelingUi.Features.Runs;

/// <summary>How the runs pages write durations, times, sizes and statuses.</summary>
public static class RunText
{
    /// <summary>1.2 s, 3 min 04 s, 2 h 05 min.</summary>
    public static string Duration(double? seconds) => seconds switch
    {
        null => "–",
        < 60 => seconds.Value.ToString("0.0", CultureInfo.InvariantCulture) + " s",
        < 3600 => $"{(int)(seconds / 60)} min {(int)seconds % 60:00} s",
        _ => $"{(int)(seconds / 3600)} h {(int)(seconds % 3600 / 60):00} min",
    };

    /// <summary>UTC time, e.g. 2026-11-22 14:03:05.</summary>
    public static string Time(DateTimeOffset? at) => at is { } t ? t.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture) : "–";

    /// <summary>The ISO time for a &lt;time datetime&gt; attribute.</summary>
    public static string Iso(DateTimeOffset? at) => at?.UtcDateTime.ToString("O", CultureInfo.InvariantCulture) ?? "";

    /// <summary>12.3 MB.</summary>
    public static string Size(long bytes)
    {
        string[] units = ["B", "kB", "MB", "GB", "TB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1000 && unit < units.Length - 1) { value /= 1000; unit++; }
        return (unit == 0 ? value.ToString("0", CultureInfo.InvariantCulture) : value.ToString("0.0", CultureInfo.InvariantCulture)) + " " + units[unit];
    }

    /// <summary>The word of an instance status (running, stalled, suspended, finished, faulted, cancelled).</summary>
    public static string Word(RunSummary run) => run.Stalled ? "stalled" : Word(run.Status);

    /// <summary>The lowercase word of an instance status.</summary>
    public static string Word(InstanceStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>The lowercase word of a stage status.</summary>
    public static string Word(StageStatus status) => status.ToString().ToLowerInvariant();

    /// <summary>The first 12 characters of a hash.</summary>
    public static string Short(string? hash) => hash is null ? "" : hash[..Math.Min(12, hash.Length)];

    /// <summary>A percentage, e.g. 62% (or 62.4% with the format <c>0.0%</c>).</summary>
    public static string Percent(double fraction, string format = "P0") => fraction.ToString(format, CultureInfo.InvariantCulture).Replace(" ", "");

    /// <summary>A number from a report, or – when it is missing or negative-as-unset.</summary>
    public static string Number(double? value, string format = "0.###") =>
        value is { } v && double.IsFinite(v) ? v.ToString(format, CultureInfo.InvariantCulture) : "–";
}
