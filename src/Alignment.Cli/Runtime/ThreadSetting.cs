using Alignment.Torch;

namespace Alignment.Cli.Runtime;

/// <summary>Where the libtorch thread count came from.</summary>
public enum ThreadSource
{
    /// <summary>All logical cores (Environment.ProcessorCount).</summary>
    Default,
    /// <summary>The ALIGN_NUM_THREADS environment variable.</summary>
    Environment,
    /// <summary>The global --threads option.</summary>
    Option,
}

/// <summary>
/// The CLI's libtorch thread policy: --threads wins, then ALIGN_NUM_THREADS, else every logical core.
/// Debian's libtorch starts with a single intra-op thread, so without this a matmul uses one core of many.
/// The policy lives in the entry point (not in Alignment.Torch) because the thread count is process-wide:
/// a host such as the labeling server decides it for itself.
/// </summary>
public static class ThreadSetting
{
    public const string EnvironmentVariable = Alignment.Training.Distributed.DistributedEnvironment.ThreadsVariable;

    /// <summary>Chooses the thread count; throws <see cref="UsageException"/> for an unusable ALIGN_NUM_THREADS.</summary>
    public static (int Threads, ThreadSource Source) Resolve(int? option, string? environmentValue, int processorCount)
    {
        if (option is { } fromOption) return (fromOption, ThreadSource.Option);
        if (!string.IsNullOrWhiteSpace(environmentValue))
        {
            if (!int.TryParse(environmentValue.Trim(), out int fromEnv) || fromEnv < 1)
                throw new UsageException($"{EnvironmentVariable}='{environmentValue}' is not a positive whole number; unset it or set e.g. {EnvironmentVariable}=4");
            return (fromEnv, ThreadSource.Environment);
        }
        return (Math.Max(1, processorCount), ThreadSource.Default);
    }

    /// <summary>Resolves the policy from the process environment and applies it to libtorch.</summary>
    public static (int Threads, ThreadSource Source) Apply(int? option)
    {
        var (threads, source) = Resolve(option, Environment.GetEnvironmentVariable(EnvironmentVariable), Environment.ProcessorCount);
        torch.set_num_threads(threads);
        return (torch.get_num_threads(), source);
    }

    public static string Describe(ThreadSource source) => source switch
    {
        ThreadSource.Option => "--threads",
        ThreadSource.Environment => EnvironmentVariable,
        _ => "default: all cores",
    };
}

/// <summary>A mistake in how the command was called (bad environment value, impossible option combination).</summary>
public sealed class UsageException(string message) : Exception(message);
