using System.CommandLine;
using Alignment.Cli.Runtime;
using Alignment.Training.Distributed;

namespace Alignment.Cli.Commands;

/// <summary>
/// `align train`'s data-parallel options, torchrun's: --nproc (workers on this machine), --nnodes, --node-rank,
/// --master-addr, --master-port. With --nproc 1 and --nnodes 1 (the default) the stage runs in this process.
/// </summary>
internal sealed class LaunchOptions
{
    private readonly Option<int> nproc = new("--nproc")
    {
        Description = "Data-parallel workers on this machine (each gets its shard of every batch; the global batch is batch_size × " +
                      "gradient_accumulation_steps × all workers). The threads (--threads, ALIGN_NUM_THREADS or all cores) are split between them.",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
        CustomParser = r => OptionParsers.Count(r, "--nproc", max: 1024),
    };

    private readonly Option<int> nnodes = new("--nnodes")
    {
        Description = "Machines taking part; each runs this command with its own --node-rank.",
        HelpName = "N",
        DefaultValueFactory = _ => 1,
        CustomParser = r => OptionParsers.Count(r, "--nnodes", max: 1024),
    };

    private readonly Option<int?> nodeRank = new("--node-rank") { Description = "This machine's index, 0 to nnodes-1 (node 0 hosts the rendezvous).", HelpName = "R" };

    private readonly Option<string?> masterAddr = new("--master-addr")
    {
        Description = "Address of node 0, where rank 0 hosts the rendezvous (default 127.0.0.1 on one machine; required with --nnodes > 1).",
        HelpName = "HOST",
    };

    private readonly Option<int?> masterPort = new("--master-port")
    {
        Description = "TCP port of the rendezvous (default: a free port on one machine, 29500 across machines).",
        HelpName = "PORT",
        CustomParser = r => OptionParsers.NullableCount(r, "--master-port", max: 65535),
    };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { nproc, nnodes, nodeRank, masterAddr, masterPort }) command.Options.Add(o);
    }

    /// <summary>The launch this command asks for, or null to run the stage in this process.</summary>
    public LaunchPlan? Plan(CommandContext ctx, TrainStage stage)
    {
        int n = ctx.Parse.GetValue(nproc), nodes = ctx.Parse.GetValue(nnodes);
        int? node = ctx.Parse.GetValue(nodeRank), port = ctx.Parse.GetValue(masterPort);
        string? addr = ctx.Parse.GetValue(masterAddr);
        if (n == 1 && nodes == 1)
        {
            if (node is not null || port is not null || addr is not null)
                throw new UsageException("--node-rank, --master-addr and --master-port only apply to a data-parallel launch (--nproc > 1 or --nnodes > 1)");
            return null;
        }
        if (!stage.DataParallel)
            throw new UsageException($"stage '{stage.Name}' does not run data-parallel" + (stage.SingleProcessReason is { } why ? $": {why}" : "") +
                                     "; drop --nproc and --nnodes");
        if (Environment.GetEnvironmentVariable(DistributedEnvironment.WorldSizeVariable) is { Length: > 0 } world)
            throw new UsageException($"WORLD_SIZE={world} is set: this process is already a worker of a launch (torchrun or align); drop --nproc and --nnodes");
        int r = node ?? 0;
        if (r < 0 || r >= nodes) throw new UsageException($"--node-rank {r}: expected 0 to {nodes - 1} (--nnodes {nodes})");
        if (nodes > 1 && string.IsNullOrWhiteSpace(addr)) throw new UsageException("--nnodes > 1 needs --master-addr (the address of node 0)");
        if (nodes > 1 && node is null) throw new UsageException("--nnodes > 1 needs --node-rank (this machine's index)");
        return new LaunchPlan(n, nodes, r, addr ?? "127.0.0.1", port ?? (nodes == 1 ? LaunchPlan.FreeLoopbackPort() : 29500), Math.Max(1, ctx.Threads / n));
    }
}
