using System.Text.Json.Nodes;
using Alignment.Data.Store;
using Alignment.Workflows.Artifacts;

namespace Alignment.Workflows.Activities;

/// <summary>What a stage gets when it runs: its identity, inputs, the database, the artifact store, cancellation and a log.</summary>
public sealed class StageContext
{
    private readonly Dictionary<string, JsonNode?> _outputs = new(StringComparer.Ordinal);
    private readonly Action<string> _log;
    private readonly Action<double, string?> _progress;
    private readonly ArtifactProvenance _provenance;

    internal StageContext(
        string instanceId, string activityId, string activityName, ActivityDescriptor descriptor, int iteration, int attempt, string cacheKey,
        StageInputs inputs, AlignStore database, ArtifactStore artifacts, string home, CancellationToken cancellation,
        ArtifactProvenance provenance, Action<string> log, Action<double, string?> progress)
    {
        InstanceId = instanceId;
        ActivityId = activityId;
        ActivityName = activityName;
        Descriptor = descriptor;
        Iteration = iteration;
        Attempt = attempt;
        CacheKey = cacheKey;
        Inputs = inputs;
        Database = database;
        Artifacts = artifacts;
        Home = home;
        Cancellation = cancellation;
        _provenance = provenance;
        _log = log;
        _progress = progress;
    }

    public string InstanceId { get; }
    public string ActivityId { get; }
    public string ActivityName { get; }
    public ActivityDescriptor Descriptor { get; }
    /// <summary>1 for the activity's first run in the instance; higher inside loops.</summary>
    public int Iteration { get; }
    /// <summary>1 for the first attempt; higher on retries of transient failures.</summary>
    public int Attempt { get; }
    /// <summary>
    /// sha256 of (type, version, resolved parameters, input artifact hashes): equal for every run of an identical stage,
    /// so it can name things the stage creates idempotently (e.g. a labeling project).
    /// </summary>
    public string CacheKey { get; }
    public StageInputs Inputs { get; }
    /// <summary>The Alignment database (labeling projects, queues ...).</summary>
    public AlignStore Database { get; }
    public ArtifactStore Artifacts { get; }
    /// <summary>The home folder (<c>./.align</c> or ALIGN_HOME).</summary>
    public string Home { get; }
    /// <summary>Cancelled by <c>align cancel</c> or a lost lease: stop at the next safe point by throwing <see cref="OperationCanceledException"/>.</summary>
    public CancellationToken Cancellation { get; }

    /// <summary>Outputs set so far (artifact hashes and values).</summary>
    internal IReadOnlyDictionary<string, JsonNode?> Outputs => _outputs;

    /// <summary>Adds a line to the stage's log (kept with the execution; printed when it fails).</summary>
    public void Log(string message) => _log(message);

    /// <summary>Reports progress, 0..1, with an optional message.</summary>
    public void Progress(double fraction, string? message = null) => _progress(Math.Clamp(fraction, 0, 1), message);

    /// <summary>
    /// Writes a single-file artifact for output <paramref name="output"/>: <paramref name="write"/> fills the temp path
    /// it is given; the file is then hashed, renamed into the store and recorded with this stage's lineage.
    /// </summary>
    public ArtifactRecord WriteFile(string output, Action<string> write) => Store(output, Artifacts.NewTempPath(), write, folder: false);

    /// <summary>Writes a folder artifact (a model, an adapter): <paramref name="fill"/> fills the (created) temp folder.</summary>
    public ArtifactRecord WriteFolder(string output, Action<string> fill) => Store(output, Artifacts.NewTempPath(), fill, folder: true);

    /// <summary>Sets an existing artifact as output (e.g. when a stage passes one through unchanged).</summary>
    public void SetArtifact(string output, ArtifactRecord artifact)
    {
        var declared = Declared(output, OutputType.Artifact);
        if (artifact.Kind != declared.ArtifactKind)
            throw new InvalidOperationException($"output '{output}' is a {declared.ArtifactKind?.ToCode()} artifact, not {artifact.Kind.ToCode()}");
        _outputs[output] = JsonValue.Create(artifact.Hash);
    }

    /// <summary>Sets a plain output value (a number, text or boolean).</summary>
    public void SetValue(string output, object value)
    {
        var declared = Descriptor.FindOutput(output) ?? throw new InvalidOperationException($"{Descriptor.Type} declares no output '{output}'");
        _outputs[output] = declared.Type switch
        {
            OutputType.Number => JsonValue.Create(Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture)),
            OutputType.Boolean => JsonValue.Create((bool)value),
            OutputType.String => JsonValue.Create(value.ToString()),
            _ => throw new InvalidOperationException($"output '{output}' is an artifact; write it with WriteFile or WriteFolder"),
        };
    }

    private ArtifactRecord Store(string output, string temp, Action<string> write, bool folder)
    {
        var declared = Declared(output, OutputType.Artifact);
        if (folder) Directory.CreateDirectory(temp);
        try
        {
            write(temp);
            Cancellation.ThrowIfCancellationRequested();
            var record = Artifacts.Ingest(temp, declared.ArtifactKind!.Value, _provenance with { OutputName = output });
            _outputs[output] = JsonValue.Create(record.Hash);
            return record;
        }
        catch
        {
            ArtifactStore.Delete(temp);
            throw;
        }
    }

    private OutputDescriptor Declared(string output, OutputType type)
    {
        var declared = Descriptor.FindOutput(output) ?? throw new InvalidOperationException($"{Descriptor.Type} declares no output '{output}'");
        if (declared.Type != type) throw new InvalidOperationException($"output '{output}' of {Descriptor.Type} is a {declared.Type}, not an artifact");
        return declared;
    }
}
