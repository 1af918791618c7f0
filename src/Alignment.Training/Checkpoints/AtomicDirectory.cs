namespace Alignment.Training.Checkpoints;

/// <summary>
/// Writes a folder atomically: the content goes into a hidden temporary sibling, which is renamed into place only
/// when complete (replacing an older folder of the same name). A crash leaves either the old folder or the new one,
/// never a half-written one; stale temporaries from a killed writer are removed by the next write.
/// </summary>
public static class AtomicDirectory
{
    public static void Write(string target, Action<string> fill)
    {
        string full = Path.GetFullPath(target);
        string parent = Path.GetDirectoryName(full)!;
        string name = Path.GetFileName(full);
        Directory.CreateDirectory(parent);
        foreach (string stale in Directory.EnumerateDirectories(parent, $".{name}.tmp-*")) Directory.Delete(stale, recursive: true);
        string tmp = Path.Combine(parent, $".{name}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(tmp);
        try
        {
            fill(tmp);
            string? old = null;
            if (Directory.Exists(full))
            {
                old = Path.Combine(parent, $".{name}.tmp-old-{Guid.NewGuid():N}");
                Directory.Move(full, old);
            }
            Directory.Move(tmp, full);
            if (old != null) Directory.Delete(old, recursive: true);
        }
        catch
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
            throw;
        }
    }
}
