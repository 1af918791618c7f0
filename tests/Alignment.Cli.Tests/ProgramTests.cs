using System.Diagnostics;

namespace Alignment.Cli.Tests;

// Runs the real `align` program (dotnet align.dll) as a separate process.
public class ProgramTests
{
    private static readonly string[] ManagedFiles =
        ["align.dll", "align.deps.json", "align.runtimeconfig.json", "Alignment.Torch.dll", "Alignment.Models.dll", "Alignment.Tokenizers.dll",
         "Alignment.Training.dll", "System.CommandLine.dll",
         "Spectre.Console.dll"];

    [Fact]
    public async Task Help_of_the_real_program_names_it_align()
    {
        var (code, stdout, stderr) = await RunAlign(AppContext.BaseDirectory, "--help");

        Assert.True(code == 0, stderr);
        Assert.Contains("align [command] [options]", stdout);
    }

    [Fact]
    public async Task Missing_native_bridge_prints_the_setup_hint_and_exits_3()
    {
        // A folder with the program but without libaligntorch.so, as after a build that skipped the native step.
        string dir = Directory.CreateTempSubdirectory("align-no-native-").FullName;
        try
        {
            foreach (var name in ManagedFiles)
                File.Copy(Path.Combine(AppContext.BaseDirectory, name), Path.Combine(dir, name));
            Assert.False(File.Exists(Path.Combine(dir, "libaligntorch.so")));

            var (code, stdout, stderr) = await RunAlign(dir, "doctor");

            Assert.Equal(3, code);
            Assert.Contains("bash .ci/setup", stderr);
            Assert.Contains("libaligntorch.so", stderr);
            Assert.DoesNotContain("   at ", stderr);   // no stack trace
            Assert.Equal("", stdout);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<(int Code, string Out, string Error)> RunAlign(string dir, params string[] args)
    {
        // DOTNET_HOST_PATH is set by `dotnet test` to the dotnet that runs the tests.
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = dir,
        };
        start.ArgumentList.Add(Path.Combine(dir, "align.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment.Remove("LD_LIBRARY_PATH");

        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
