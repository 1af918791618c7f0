namespace Alignment.Torch;

public enum DeviceType
{
    CPU = 0,
    CUDA = 1,
}

/// <summary>Where a tensor lives: "cpu", "cuda" or "cuda:N".</summary>
public readonly record struct Device(DeviceType type, int index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);
    public static readonly Device CUDA = new(DeviceType.CUDA, 0);

    /// <summary>Parses "cpu", "cuda", "cuda:1".</summary>
    public static Device Parse(string spec)
    {
        string s = spec.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda") return CUDA;
        if (s.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(s.AsSpan(5), out int i) && i >= 0)
            return new Device(DeviceType.CUDA, i);
        throw new TorchException($"unknown device '{spec}'; use cpu, cuda or cuda:N");
    }

    public override string ToString() => type == DeviceType.CPU ? "cpu" : index < 0 ? "cuda" : $"cuda:{index}";
}
