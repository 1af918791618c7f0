using Alignment.Torch;
using static Alignment.Torch.torch;

namespace Alignment.Training.State;

/// <summary>Generator states as base64 text (for trainer_state.json) and back.</summary>
public static class RngState
{
    public static string Capture(Generator generator)
    {
        using var scope = NewDisposeScope();
        return Convert.ToBase64String(generator.get_state().data<byte>());
    }

    public static void Restore(Generator generator, string base64)
    {
        using var scope = NewDisposeScope();
        var bytes = Convert.FromBase64String(base64);
        generator.set_state(tensor(bytes, new long[] { bytes.Length }));
    }

    /// <summary>libtorch's default CPU generator (dropout draws from it).</summary>
    public static string CaptureDefault()
    {
        using var g = default_generator;
        return Capture(g);
    }

    public static void RestoreDefault(string base64)
    {
        using var g = default_generator;
        Restore(g, base64);
    }
}
