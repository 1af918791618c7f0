using System.Diagnostics;
using System.Text;
using Alignment.Cli;
using Alignment.Workflows.Definitions;
using Alignment.Workflows.Execution;

namespace Alignment.Workflows.Tests;

// Runs the real `align` program (dotnet align.dll) as child processes with the test activities as a plugin, kills
// them with SIGKILL at deterministic points (gates that wait on flag files) and resumes.
public class ProcessTests
{
    private static readonly string[] Gates = ["g1", "g2", "g3"];

    /// <summary>import -> g1 -> compare -> g2 -> judge (rules) -> export -> g3, all gates waiting on flags in <paramref name="flags"/>.</summary>
    private static string WriteWorkflow(TestHome home, string flags)
    {
        var d = WorkflowDefinition.Create("crash", "Crash test");
        var import = d.AddActivity("import", "Alignment.ImportDataset", name: "Import");
        import.SetInput("path", "String", Expression.Literal(TestHome.DemoResponses));
        import.SetInput("format", "String", Expression.Literal("responses"));
        Gate(d, "g1", "import.dataset", flags);
        d.AddActivity("compare", "Alignment.CreateComparisons", name: "Compare").SetInput("responses", "Artifact", Expression.Output("import", "dataset"));
        d.FindActivity("compare")!.SetInput("seed", "Int32", Expression.Literal(3));
        Gate(d, "g2", "import.dataset", flags);
        var judge = d.AddActivity("judge", "Alignment.CollectJudgments", name: "Judge");
        judge.SetInput("comparisons", "Artifact", Expression.Output("compare", "comparisons"));
        judge.SetInput("judge", "String", Expression.Literal("rules"));
        judge.SetInput("rules", "String", Expression.Literal(TestHome.DemoRules));
        d.AddActivity("export", "Alignment.ExportPreferences", name: "Export").SetInput("judgments", "Artifact", Expression.Output("judge", "judgments"));
        Gate(d, "g3", "export.preferences", flags);
        foreach (var (from, to) in new[] { ("import", "g1"), ("g1", "compare"), ("compare", "g2"), ("g2", "judge"), ("judge", "export"), ("export", "g3") })
            d.Connect(from, to);
        return home.Write(d, "crash.json");
    }

    private static void Gate(WorkflowDefinition d, string id, string after, string flags)
    {
        var gate = d.AddActivity(id, "Alignment.Test.Gate", name: $"Gate {id}");
        gate.SetInput("label", "String", Expression.Literal(id));
        var (activity, output) = (after.Split('.')[0], after.Split('.')[1]);
        gate.SetInput("after", "Artifact", Expression.Output(activity, output));
        gate.SetInput("flagDir", "String", Expression.Literal(flags));
    }

    private static string Flags(TestHome home)
    {
        var flags = Path.Combine(home.Folder, "flags");
        Directory.CreateDirectory(flags);
        return flags;
    }

    private static void Release(string flags, params string[] gates)
    {
        foreach (var g in gates) File.WriteAllText(Path.Combine(flags, $"release-{g}"), "");
    }

    private static Dictionary<string, string> FinalOutputs(TestHome home, string id) =>
        home.Outputs(id).ToDictionary(o => o.Key, o => o.Value.ToJsonString());

    [Fact]
    public async Task A_run_killed_at_any_gate_resumes_to_the_same_artifact_hashes()
    {
        Dictionary<string, string> expected;
        using (var clean = new TestHome())
        {
            var flags = Flags(clean);
            Release(flags, Gates);
            var run = await Align.Run(clean.Home, "run", WriteWorkflow(clean, flags));
            Assert.True(run.Code == 0, run.Error + run.Out);
            expected = FinalOutputs(clean, run.FirstLine);
            Assert.Equal(7, expected.Count);
        }

        foreach (var killAt in Gates)
        {
            using var home = new TestHome();
            var flags = Flags(home);
            Release(flags, Gates.TakeWhile(g => g != killAt).ToArray());
            var (id, pid) = await Align.StartAndKillAt(home.Home, flags, killAt, "run", WriteWorkflow(home, flags));
            var status = home.Engine.Detail(id);
            Assert.Equal(InstanceStatus.Running, status.Instance.Status);   // left running by a dead process
            Assert.Contains(Directory.EnumerateFiles(home.Engine.Artifacts.TempRoot), f => Path.GetFileName(f).Contains($"-{pid}-"));

            Release(flags, Gates);
            var resumed = await Align.Run(home.Home, "resume", id);
            Assert.True(resumed.Code == 0, $"kill at {killAt}: {resumed.Error}{resumed.Out}");
            Assert.Equal(expected, FinalOutputs(home, id));
            var runs = home.Engine.Detail(id).Executions;
            Assert.Equal("interrupted", runs.Single(e => e.ActivityId == killAt && e.Status.ToCode() != "completed").Status.ToCode());
            Assert.DoesNotContain(Directory.EnumerateFiles(home.Engine.Artifacts.TempRoot), f => Path.GetFileName(f).Contains($"-{pid}-"));
        }
    }

    [Fact]
    public async Task Two_processes_never_run_one_instance_and_cancel_stops_a_running_one()
    {
        using var home = new TestHome();
        var flags = Flags(home);
        var workflow = WriteWorkflow(home, flags);
        await using var first = await Align.StartUntilGate(home.Home, flags, "g1", "run", workflow);

        var second = await Align.Run(home.Home, "resume", first.InstanceId);
        Assert.Equal(2, second.Code);
        Assert.Contains($"is being run by process {first.Process.Id}", second.Error);

        var output = new StringWriter();
        Assert.Equal(0, AlignApp.Run(["cancel", first.InstanceId, "--home", home.Home], output, new StringWriter()));
        Assert.Contains("stops at its next safe point", output.ToString());
        var code = await first.WaitForExit();
        Assert.Equal(5, code);
        var detail = home.Engine.Detail(first.InstanceId);
        Assert.Equal(InstanceStatus.Cancelled, detail.Instance.Status);
        Assert.Equal("cancelled", detail.Executions.Single(e => e.ActivityId == "g1").Status.ToCode());
        Assert.Null(detail.Instance.LeaseOwner);
    }

    /// <summary>Runs `dotnet align.dll` with the test activities plugged in.</summary>
    internal static class Align
    {
        public sealed record Result(int Code, string Out, string Error)
        {
            public string FirstLine => Out.Split('\n')[0].Trim();
        }

        public sealed class Running(Process process, string instanceId, StringBuilder stdout) : IAsyncDisposable
        {
            public Process Process { get; } = process;
            public string InstanceId { get; } = instanceId;
            public string Out => stdout.ToString();

            public async Task<int> WaitForExit()
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
                await Process.WaitForExitAsync(timeout.Token);
                return Process.ExitCode;
            }

            public ValueTask DisposeAsync()
            {
                if (!Process.HasExited) Process.Kill(entireProcessTree: true);
                Process.Dispose();
                return ValueTask.CompletedTask;
            }
        }

        private static ProcessStartInfo Start(string home, string[] args)
        {
            var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                WorkingDirectory = AppContext.BaseDirectory,
            };
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "align.dll"));
            foreach (var a in args) start.ArgumentList.Add(a);
            start.ArgumentList.Add("--home");
            start.ArgumentList.Add(home);
            start.ArgumentList.Add("--threads");
            start.ArgumentList.Add("1");
            start.Environment["ALIGN_PLUGINS"] = typeof(TestGateActivity).Assembly.Location;
            start.Environment.Remove("ALIGN_HOME");
            return start;
        }

        public static async Task<Result> Run(string home, params string[] args)
        {
            using var process = Process.Start(Start(home, args))!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.WaitForExitAsync(timeout.Token);
            return new Result(process.ExitCode, await stdout, await stderr);
        }

        /// <summary>Starts align with its stdout and stderr collected as they come.</summary>
        public static (Process Process, StringBuilder Out, StringBuilder Error) Launch(string home, string[] args)
        {
            var process = Process.Start(Start(home, args))!;
            var stdout = new StringBuilder();
            var stderr = new StringBuilder();
            process.OutputDataReceived += (_, e) => { lock (stdout) stdout.AppendLine(e.Data); };
            process.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return (process, stdout, stderr);
        }

        /// <summary>Starts align, waits until it reaches <paramref name="gate"/>, returns the running process and the instance id.</summary>
        public static async Task<Running> StartUntilGate(string home, string flags, string gate, params string[] args)
        {
            var (process, stdout, stderr) = Launch(home, args);
            var reached = Path.Combine(flags, $"reached-{gate}");
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(1);
            while (!File.Exists(reached) || new FileInfo(reached).Length == 0)   // the gate creates the file, then writes the id
            {
                if (process.HasExited || DateTime.UtcNow > deadline)
                    throw new Xunit.Sdk.XunitException($"align never reached gate {gate} (exited: {process.HasExited}); stdout: {stdout} stderr: {stderr}");
                await Task.Delay(20);
            }
            return new Running(process, File.ReadAllText(reached).Trim(), stdout);
        }

        /// <summary>
        /// Starts align and kills it with SIGKILL as soon as <paramref name="when"/> (given its stdout so far) holds;
        /// returns whether it was killed (false: it exited first), its stdout and stderr, and its process id.
        /// </summary>
        public static async Task<(bool Killed, string Out, string Error, int Pid)> StartAndKillWhen(string home, Func<string, bool> when, params string[] args)
        {
            var (process, stdout, stderr) = Launch(home, args);
            using var _ = process;
            var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
            bool killed = false;
            while (!process.HasExited && DateTime.UtcNow < deadline)
            {
                string text;
                lock (stdout) text = stdout.ToString();
                if (when(text))
                {
                    process.Kill(entireProcessTree: true);
                    killed = true;
                    break;
                }
                await Task.Delay(5);
            }
            if (!process.HasExited && !killed) process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
            lock (stdout) lock (stderr) return (killed, stdout.ToString(), stderr.ToString(), process.Id);
        }

        /// <summary>Starts align and kills it with SIGKILL once it waits at <paramref name="gate"/>.</summary>
        public static async Task<(string InstanceId, int Pid)> StartAndKillAt(string home, string flags, string gate, params string[] args)
        {
            await using var running = await StartUntilGate(home, flags, gate, args);
            int pid = running.Process.Id;
            running.Process.Kill(entireProcessTree: true);
            await running.WaitForExit();
            return (running.InstanceId, pid);
        }
    }
}
