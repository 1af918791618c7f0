using System.Diagnostics;

namespace Alignment.Cli.Runtime;

/// <summary>Starting another `align` process: the same apphost, or `dotnet align.dll` when this one runs under dotnet or
/// inside another host (a test runner).</summary>
public static class SelfProcess
{
    public static ProcessStartInfo StartInfo(IReadOnlyList<string> args)
    {
        string exe = Environment.ProcessPath!;
        string dll = typeof(SelfProcess).Assembly.Location;
        ProcessStartInfo psi;
        if (Path.GetFileNameWithoutExtension(exe) == Path.GetFileNameWithoutExtension(dll))
        {
            psi = new ProcessStartInfo(exe);
        }
        else
        {
            string dotnet = Path.GetFileNameWithoutExtension(exe) == "dotnet" ? exe : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet";
            psi = new ProcessStartInfo(dotnet);
            psi.ArgumentList.Add(dll);
        }
        foreach (string a in args) psi.ArgumentList.Add(a);
        psi.RedirectStandardOutput = true;
        psi.RedirectStandardError = true;
        psi.UseShellExecute = false;
        return psi;
    }
}
