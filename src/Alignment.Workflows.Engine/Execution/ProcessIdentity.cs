using System.Diagnostics;

namespace Alignment.Workflows;

/// <summary>
/// Who this process is, for instance leases and temp-file sweeping: host name, process id and the process start
/// time (so a recycled pid is not mistaken for the process that held a lease).
/// </summary>
public static class ProcessIdentity
{
    /// <summary>The host name (dashes allowed, no spaces).</summary>
    public static string Host { get; } = Environment.MachineName.Replace(' ', '_');

    /// <summary>This process as <c>host:pid:start-ticks</c>.</summary>
    public static string Current { get; } = $"{Host}:{Environment.ProcessId}:{StartTicks(Environment.ProcessId)}";

    /// <summary>An owner string (<c>host:pid:start</c>) as <c>host:pid</c>, for display.</summary>
    public static string Short(string owner) => owner.Split(':') is { Length: >= 2 } parts ? $"{parts[0]}:{parts[1]}" : owner;

    /// <summary>Whether a process with this id runs on this host.</summary>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException) { return false; }
        catch (InvalidOperationException) { return false; }
    }

    /// <summary>
    /// Whether the owner string (<c>host:pid:start[:tag]</c>) names a process that is certainly gone: same host, and
    /// the pid is not running or now belongs to a process that started at another time (a recycled pid). Owners on
    /// other hosts are never known dead; their leases end by expiry.
    /// </summary>
    public static bool IsDeadOwner(string owner)
    {
        var parts = owner.Split(':');
        if (parts.Length < 3 || parts[0] != Host || !int.TryParse(parts[1], out int pid)) return false;
        if (!IsAlive(pid)) return true;
        if (!long.TryParse(parts[2], out long recorded) || !long.TryParse(StartTicks(pid), out long actual)) return false;
        return Math.Abs(recorded - actual) > TimeSpan.TicksPerSecond;
    }

    private static string StartTicks(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return process.StartTime.ToUniversalTime().Ticks.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return "0";
        }
    }
}
