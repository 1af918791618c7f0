using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Activities;

/// <summary>
/// A stage's inputs after resolution: literals converted to their declared types, references followed, defaults
/// filled in, file paths made absolute and artifacts looked up in the store (and checked to exist on disk).
/// </summary>
public sealed class StageInputs(IReadOnlyDictionary<string, object?> values)
{
    /// <summary>Every resolved value by input name (string, long, double, bool, absolute path, or <see cref="ArtifactRecord"/>); null when unset.</summary>
    public IReadOnlyDictionary<string, object?> Values { get; } = values;

    public bool Has(string name) => Values.TryGetValue(name, out var v) && v is not null;

    public string String(string name) => Get<string>(name);
    public string? OptionalString(string name) => Values.GetValueOrDefault(name) as string;
    public int Int(string name) => checked((int)Get<long>(name));
    public long Long(string name) => Get<long>(name);
    public double Double(string name) => Get<double>(name);
    public bool Bool(string name) => Get<bool>(name);

    /// <summary>An absolute file path (inputs of type File).</summary>
    public string File(string name) => Get<string>(name);

    /// <summary>An artifact input: its record, with <see cref="ArtifactRecord.Path"/> to read it from.</summary>
    public ArtifactRecord Artifact(string name) => Get<ArtifactRecord>(name);

    private T Get<T>(string name) => Values.GetValueOrDefault(name) is T value
        ? value
        : throw new InvalidOperationException($"input '{name}' has no {typeof(T).Name} value (declared? required or defaulted?)");
}
