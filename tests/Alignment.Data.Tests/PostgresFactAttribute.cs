namespace Alignment.Data.Tests;

/// <summary>
/// A fact that needs a PostgreSQL server: its URL comes from <c>ALIGN_TEST_POSTGRES</c> (<c>.ci/run</c> starts a throwaway
/// cluster and sets it). Skipped with a message when the variable is missing, except under CI (<c>CI=true</c>), where the
/// test runs and fails, so CI cannot pass without the PostgreSQL cases.
/// </summary>
public sealed class PostgresFactAttribute : FactAttribute
{
    /// <summary>The environment variable holding the test server's URL.</summary>
    public const string Variable = "ALIGN_TEST_POSTGRES";

    public PostgresFactAttribute()
    {
        Skip = SkipReason;
    }

    /// <summary>Why the PostgreSQL cases are skipped now, or null when they run.</summary>
    public static string? SkipReason =>
        Url is null && !string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
            ? $"{Variable} is not set: the PostgreSQL cases are skipped outside CI (`bash .ci/run` starts a cluster and sets it)"
            : null;

    /// <summary>The test server's URL, or null.</summary>
    public static string? Url => Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } url ? url : null;
}
