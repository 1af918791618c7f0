using System.Diagnostics;
using System.Globalization;

namespace Alignment.Training.Distributed;

/// <summary>One machine's share of a data-parallel run: how many workers it starts and where they meet.</summary>
public sealed record LaunchPlan(int ProcessesPerNode, int Nodes, int NodeRank, string MasterAddr, int MasterPort, int ThreadsPerWorker)
{
    public int WorldSize => ProcessesPerNode * Nodes;

    /// <summary>A TCP port on the loopback interface that nothing listens on now (for a one-machine rendezvous).</summary>
    public static int FreeLoopbackPort()
    {
        using var l = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }
}

/// <summary>
/// `align train --nproc N`'s launcher (torchrun's role), also used by workflow stages with nproc &gt; 1: starts N `align` workers on this machine with torchrun's
/// variables (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) and ALIGN_NUM_THREADS, passes rank 0's standard
/// output through and every worker's standard error with a "[rank R]" prefix, and watches them. When a worker fails
/// (an exit code other than 0, or a signal), the launcher says which rank it was, gives the others a short grace to
/// stop on their own (their collectives fail at once when a peer's sockets close, or after ALIGN_DIST_TIMEOUT when a peer
/// hangs), then kills what is left, so a run never outlives a dead worker by more than that.
/// </summary>
public static class WorkerLauncher
{
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(10);

    /// <summary>How to start an `align` process with the given arguments (set by the program that hosts the launcher:
    /// the CLI starts itself); null where no `align` can be started.</summary>
    public static Func<IReadOnlyList<string>, ProcessStartInfo>? Start { get; set; }

    /// <param name="workerArgs">The `align` command each worker runs (e.g. train sft --config F --output D).</param>
    /// <param name="cancel">Stops the workers (killed) and returns 2.</param>
    /// <returns>0 when every worker succeeded, else 2.</returns>
    public static int Run(LaunchPlan plan, IReadOnlyList<string> workerArgs, TextWriter output, TextWriter error, CancellationToken cancel = default)
    {
        var start = Start ?? throw new TrainingException("this program cannot start `align` worker processes; run data-parallel training with `align train --nproc N`");
        var workers = new List<(int rank, Process process)>();
        var exits = new System.Collections.Concurrent.ConcurrentQueue<(int rank, int code, DateTime when)>();
        var gate = new object();
        try
        {
            for (int local = 0; local < plan.ProcessesPerNode; local++)
            {
                int rank = plan.NodeRank * plan.ProcessesPerNode + local;
                var psi = start(workerArgs);
                psi.RedirectStandardOutput = true;
                psi.RedirectStandardError = true;
                psi.UseShellExecute = false;
                psi.Environment[DistributedEnvironment.RankVariable] = rank.ToString(CultureInfo.InvariantCulture);
                psi.Environment[DistributedEnvironment.LocalRankVariable] = local.ToString(CultureInfo.InvariantCulture);
                psi.Environment[DistributedEnvironment.WorldSizeVariable] = plan.WorldSize.ToString(CultureInfo.InvariantCulture);
                psi.Environment[DistributedEnvironment.MasterAddrVariable] = plan.MasterAddr;
                psi.Environment[DistributedEnvironment.MasterPortVariable] = plan.MasterPort.ToString(CultureInfo.InvariantCulture);
                psi.Environment[DistributedEnvironment.ThreadsVariable] = plan.ThreadsPerWorker.ToString(CultureInfo.InvariantCulture);
                var p = new Process { StartInfo = psi, EnableRaisingEvents = true };
                int r = rank;
                p.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is null || r != 0) return;
                    lock (gate) { output.WriteLine(e.Data); output.Flush(); }
                };
                p.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data is null) return;
                    lock (gate) { error.WriteLine($"[rank {r}] {e.Data}"); error.Flush(); }
                };
                p.Exited += (_, _) => exits.Enqueue((r, p.ExitCode, DateTime.UtcNow));
                p.Start();
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                workers.Add((rank, p));
            }
            lock (gate)
                error.WriteLine($"align: {plan.ProcessesPerNode} workers on this machine ({string.Join(", ", workers.Select(w => $"rank {w.rank} pid {w.process.Id}"))}), " +
                                $"world size {plan.WorldSize}, {plan.ThreadsPerWorker} thread(s) each, rendezvous {plan.MasterAddr}:{plan.MasterPort}");
            lock (gate) error.Flush();

            DateTime? failedAt = null;
            while (workers.Any(w => !w.process.HasExited))
            {
                Thread.Sleep(100);
                if (cancel.IsCancellationRequested)
                {
                    foreach (var (_, p) in workers.Where(w => !w.process.HasExited))
                        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    foreach (var (_, p) in workers) p.WaitForExit();
                    return 2;
                }
                if (failedAt is null && exits.Any(e => e.code != 0)) failedAt = DateTime.UtcNow;
                if (failedAt is { } t && DateTime.UtcNow - t > Grace)
                {
                    foreach (var (rank, p) in workers.Where(w => !w.process.HasExited))
                    {
                        lock (gate) error.WriteLine($"align: stopping rank {rank} (pid {p.Id}), still running {Grace.TotalSeconds:0} s after a worker failed");
                        try { p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                    }
                }
            }
            foreach (var (_, p) in workers) p.WaitForExit();   // drains the output readers
            var failures = workers.Select(w => (w.rank, code: w.process.ExitCode, when: w.process.ExitTime))
                                  .Where(f => f.code != 0)
                                  .OrderByDescending(f => f.code > 128)      // killed by a signal: the cause, not a consequence
                                  .ThenBy(f => f.when).ToList();
            if (failures.Count == 0) return 0;
            lock (gate)
            {
                var first = failures[0];
                error.WriteLine($"error: worker rank {first.rank} {Describe(first.code)}; the run stopped" +
                                (failures.Count > 1 ? $" (then: {string.Join(", ", failures.Skip(1).Select(f => $"rank {f.rank} {Describe(f.code)}"))})" : "") +
                                ". Resume it with the same command and --set resume_from=latest (the same --nproc).");
            }
            return 2;
        }
        finally
        {
            foreach (var (_, p) in workers)
            {
                try { if (!p.HasExited) p.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
                p.Dispose();
            }
        }
    }

    private static string Describe(int code) => code > 128 && code < 128 + 65
        ? $"was killed by signal {code - 128}{(code - 128 == 9 ? " (SIGKILL)" : code - 128 == 15 ? " (SIGTERM)" : "")}"
        : $"exited with code {code}";
}
