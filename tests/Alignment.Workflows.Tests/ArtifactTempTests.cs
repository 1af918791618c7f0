using System.Diagnostics;
using Alignment.Workflows.Artifacts;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// Temp folders under artifacts/.tmp are named host-pid-guid[suffix]; the sweep removes those of dead processes on this
// host, including training stages' run folders (suffix "-run"), and keeps those of live processes.
public class ArtifactTempTests
{
    [Theory]
    [InlineData("box-1234-0123456789abcdef0123456789abcdef", "box", 1234)]
    [InlineData("my-host-7-0123456789abcdef0123456789abcdef-run", "my-host", 7)]
    [InlineData("h-42-0123456789abcdef0123456789abcdef.json", "h", 42)]
    public void Temp_names_give_their_host_and_process(string name, string host, int pid) =>
        Assert.Equal((host, pid), ArtifactStore.TempOwner(name));

    [Theory]
    [InlineData("notes.txt")]
    [InlineData("box-abc-0123456789abcdef0123456789abcdef")]
    [InlineData("box-12-xyz")]
    public void Other_names_are_not_temp_folders(string name) => Assert.Null(ArtifactStore.TempOwner(name));

    [Fact]
    public void The_sweep_removes_run_folders_of_dead_processes_and_keeps_live_ones()
    {
        using var home = new TestHome();
        var store = home.Engine.Artifacts;
        int dead;
        using (var p = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
        {
            p.WaitForExit();
            dead = p.Id;
        }
        Directory.CreateDirectory(store.TempRoot);
        string deadRun = Path.Combine(store.TempRoot, $"{ProcessIdentity.Host}-{dead}-{Guid.NewGuid():N}-run");
        string liveRun = store.NewTempPath("-run");
        Directory.CreateDirectory(deadRun);
        Directory.CreateDirectory(liveRun);

        Assert.Equal(1, store.SweepStaleTemps());
        Assert.False(Directory.Exists(deadRun));
        Assert.True(Directory.Exists(liveRun));
    }
}
