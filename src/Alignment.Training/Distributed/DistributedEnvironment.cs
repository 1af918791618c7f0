using System.Globalization;
using Alignment.Training.Config;

namespace Alignment.Training.Distributed;

/// <summary>
/// Where this process sits in a data-parallel run, read from torchrun's variables: RANK, WORLD_SIZE, LOCAL_RANK,
/// MASTER_ADDR, MASTER_PORT (so `torchrun --nproc-per-node N align train ...` and `align train --nproc N` start the same
/// workers), plus ALIGN_DIST_BACKEND (gloo, the default, or nccl) and ALIGN_DIST_TIMEOUT (seconds a collective may wait
/// for a peer before the run stops with an error; default 60).
/// </summary>
public sealed record DistributedEnvironment(int Rank, int WorldSize, int LocalRank, string MasterAddr, int MasterPort, string Backend, TimeSpan Timeout)
{
    public const string RankVariable = "RANK";
    public const string WorldSizeVariable = "WORLD_SIZE";
    public const string LocalRankVariable = "LOCAL_RANK";
    public const string MasterAddrVariable = "MASTER_ADDR";
    public const string MasterPortVariable = "MASTER_PORT";
    public const string BackendVariable = "ALIGN_DIST_BACKEND";
    public const string TimeoutVariable = "ALIGN_DIST_TIMEOUT";
    public const int DefaultTimeoutSeconds = 60;

    /// <summary>libtorch threads of a worker (the CLI's thread setting), which the launcher splits between its workers.</summary>
    public const string ThreadsVariable = "ALIGN_NUM_THREADS";

    /// <summary>The run's environment, or null for a single process (WORLD_SIZE unset or 1). A variable that is set but
    /// unusable is a <see cref="ConfigException"/> naming it.</summary>
    public static DistributedEnvironment? Read(Func<string, string?> get)
    {
        string? worldText = get(WorldSizeVariable);
        if (string.IsNullOrWhiteSpace(worldText)) return null;
        int world = Int(WorldSizeVariable, worldText, 1, 65536);
        if (world == 1) return null;
        int rank = Int(RankVariable, get(RankVariable) ?? throw Missing(RankVariable, world), 0, world - 1);
        string? localText = get(LocalRankVariable);
        int local = string.IsNullOrWhiteSpace(localText) ? rank : Int(LocalRankVariable, localText, 0, world - 1);
        string addr = get(MasterAddrVariable) is { Length: > 0 } a ? a : throw Missing(MasterAddrVariable, world);
        int port = Int(MasterPortVariable, get(MasterPortVariable) ?? throw Missing(MasterPortVariable, world), 1, 65535);
        string backend = (get(BackendVariable) is { Length: > 0 } b ? b : "gloo").Trim().ToLowerInvariant();
        if (backend is not ("gloo" or "nccl"))
            throw new ConfigException($"{BackendVariable}='{backend}': use gloo (CPU) or nccl (CUDA)");
        string? timeoutText = get(TimeoutVariable);
        int seconds = string.IsNullOrWhiteSpace(timeoutText) ? DefaultTimeoutSeconds : Int(TimeoutVariable, timeoutText, 1, 86400);
        return new DistributedEnvironment(rank, world, local, addr, port, backend, TimeSpan.FromSeconds(seconds));
    }

    public static DistributedEnvironment? FromProcess() => Read(Environment.GetEnvironmentVariable);

    /// <summary>Refuses to run <paramref name="stage"/>, whose loop is single-process, under several processes.</summary>
    public static void RequireSingleProcess(string stage)
    {
        if (FromProcess() is { } e)
            throw new TrainingException($"stage '{stage}' does not run data-parallel (WORLD_SIZE={e.WorldSize}); run it with one process (--nproc 1)");
    }

    private static ConfigException Missing(string name, int world) =>
        new($"WORLD_SIZE={world} asks for a data-parallel run, but {name} is not set (torchrun sets RANK, LOCAL_RANK, MASTER_ADDR and " +
            "MASTER_PORT; `align train --nproc N` sets them for its workers)");

    private static int Int(string name, string text, int min, int max)
    {
        if (!int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int v) || v < min || v > max)
            throw new ConfigException($"{name}='{text}': expected an integer in [{min}, {max}]");
        return v;
    }
}
