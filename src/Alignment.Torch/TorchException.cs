namespace Alignment.Torch;

/// <summary>A failure inside libtorch or the native bridge (shape or dtype mismatch, bad file, use after dispose...).
/// The process always survives it: no native exception crosses the boundary.</summary>
public sealed class TorchException : Exception
{
    public TorchException(string message) : base(message) { }
    public TorchException(string message, Exception inner) : base(message, inner) { }
}
