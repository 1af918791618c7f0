using Alignment.Torch.Native;

namespace Alignment.Torch;

/// <summary>
/// Records every ATen operator the calling thread runs (forward and backward) with libtorch's profiler, from
/// construction to <see cref="Dispose"/>, which writes a Chrome trace JSON to the path given (open it in
/// chrome://tracing or Perfetto, or sum it by operator name). A diagnostic for benchmarks, not for training runs:
/// recording slows every operator down.
/// </summary>
public sealed class OperatorProfile : IDisposable
{
    private IntPtr _recording;

    /// <summary>Starts recording; the trace goes to <paramref name="chromeTracePath"/> on dispose.</summary>
    public OperatorProfile(string chromeTracePath)
    {
        string? folder = Path.GetDirectoryName(Path.GetFullPath(chromeTracePath));
        if (folder is not null) Directory.CreateDirectory(folder);
        _recording = NativeError.Check(NativeMethods.atg_profiler_start(chromeTracePath));
    }

    /// <summary>Stops recording and writes the trace.</summary>
    public void Dispose()
    {
        if (_recording == IntPtr.Zero) return;
        var recording = _recording;
        _recording = IntPtr.Zero;
        NativeError.Check(NativeMethods.atg_profiler_stop(recording));
    }
}
