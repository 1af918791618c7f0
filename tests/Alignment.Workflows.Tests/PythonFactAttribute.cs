namespace Alignment.Workflows.Tests;

/// <summary>
/// A fact that needs python3 on PATH: skipped when it is missing, except under CI (<c>CI=true</c>), where the test runs
/// and fails, so a CI machine without python3 cannot pass silently.
/// </summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        if (Python3 is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
            Skip = "python3 is not on PATH (outside CI this check is skipped; `bash .ci/setup` installs it)";
    }

    /// <summary>The python3 executable on PATH, or null.</summary>
    public static string? Python3 =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
        .Select(dir => Path.Combine(dir, "python3")).FirstOrDefault(File.Exists);
}
