using System.Runtime.InteropServices;
using Alignment.Torch;

namespace Alignment.Cli.Runtime;

/// <summary>What the process runs on: libtorch build, CUDA, BLAS, .NET and cores. Read once, no timing.</summary>
public sealed record RuntimeFacts(
    string Libtorch,
    bool CudaBuilt,
    bool CudaAvailable,
    int CudaDevices,
    string Blas,
    string Dotnet,
    string Os,
    int ProcessorCount)
{
    public static RuntimeFacts Read() => new(
        torch.version,
        torch.cuda.is_built(),
        torch.cuda.is_available(),
        torch.cuda.device_count(),
        LoadedBlas() ?? "unknown",
        RuntimeInformation.FrameworkDescription,
        RuntimeInformation.OSDescription,
        Environment.ProcessorCount);

    /// <summary>
    /// The BLAS library mapped into this process (Linux: read from /proc/self/maps), e.g.
    /// /usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3. Debian's libtorch links libblas.so.3, which the
    /// alternatives system points at the reference BLAS (slow) or OpenBLAS (fast); this shows which one won.
    /// </summary>
    public static string? LoadedBlas()
    {
        const string maps = "/proc/self/maps";
        if (!File.Exists(maps)) return null;
        string? found = null;
        foreach (string line in File.ReadLines(maps))
        {
            int slash = line.IndexOf('/');
            if (slash < 0) continue;
            string path = line[slash..];
            string file = Path.GetFileName(path);
            if (path.Contains("openblas", StringComparison.OrdinalIgnoreCase) || file.Contains("mkl_core", StringComparison.OrdinalIgnoreCase))
                return path;
            if (file.StartsWith("libblas", StringComparison.OrdinalIgnoreCase) || path.Contains("/blas/", StringComparison.Ordinal))
                found ??= path;
        }
        return found;
    }
}
