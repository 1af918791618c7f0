namespace Alignment.Cli.Tests;

// `align report` against a fresh, empty home (reports of real runs: Workflows.Tests' ReportWorkflowTests).
public class ReportCommandTests
{
    private static string EmptyHome()
    {
        string home = Path.Combine(Path.GetTempPath(), "align-report-cli", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(home);
        return home;
    }

    [Fact]
    public void An_unknown_id_is_an_error_that_names_it_and_where_to_look()
    {
        string home = EmptyHome();
        try
        {
            var r = CliRunner.Run("report", "0123456789ab", "--home", home);
            Assert.Equal(2, r.ExitCode);
            Assert.Equal("", r.Out);
            Assert.Contains("error: no workflow instance or report artifact '0123456789ab' (see `align status` for instances, `align artifacts list` for artifacts)", r.Error);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            Directory.Delete(home, recursive: true);
        }
    }

    [Fact]
    public void Help_describes_the_id_and_the_json_shape()
    {
        var r = CliRunner.Run("report", "--help");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("A workflow instance id", r.Out);
        Assert.Contains("--json", r.Out);
        Assert.Contains("win_rate", r.Out);
        var missing = CliRunner.Run("report");
        Assert.Equal(1, missing.ExitCode);
    }
}
