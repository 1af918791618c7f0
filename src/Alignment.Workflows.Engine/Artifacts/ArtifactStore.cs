using System.Data.Common;
using System.Text.Json.Nodes;
using Alignment.Data.Store;
using Dapper;

namespace Alignment.Workflows.Artifacts;

/// <summary>
/// The content-addressed artifact store: <c>&lt;home&gt;/artifacts/&lt;sha256&gt;</c> (a file or a folder) with its
/// record (kind, producer, parameters, input lineage) in the database. Content is written under
/// <c>artifacts/.tmp/</c> first and renamed into place, so a reader never sees half an artifact; identical content
/// ingested twice is stored once (the first producer is kept). Files are made read-only once stored.
/// </summary>
public sealed class ArtifactStore
{
    private const string Columns =
        "hash, kind, is_folder, size_bytes, instance_id, activity_id, stage_type, stage_version, output_name, parameters_json, created_at";

    private readonly AlignStore _db;

    public ArtifactStore(AlignStore db, string home)
    {
        _db = db;
        Root = Path.Combine(Path.GetFullPath(home), "artifacts");
        TempRoot = Path.Combine(Root, ".tmp");
    }

    /// <summary><c>&lt;home&gt;/artifacts</c>.</summary>
    public string Root { get; }

    /// <summary>Where content is written before it is renamed into the store.</summary>
    public string TempRoot { get; }

    /// <summary>The path of an artifact (whether or not it exists).</summary>
    public string PathOf(string hash) => Path.Combine(Root, hash);

    /// <summary>Whether the artifact's file or folder is on disk.</summary>
    public bool ExistsOnDisk(string hash) => File.Exists(PathOf(hash)) || Directory.Exists(PathOf(hash));

    /// <summary>A fresh path under the temp folder (not created), named after this process so stale ones can be swept.</summary>
    public string NewTempPath(string? suffix = null)
    {
        Directory.CreateDirectory(TempRoot);
        return Path.Combine(TempRoot, $"{ProcessIdentity.Host}-{Environment.ProcessId}-{Guid.NewGuid():N}{suffix}");
    }

    /// <summary>
    /// Moves <paramref name="tempPath"/> (a file or folder under <see cref="TempRoot"/>) into the store under its content
    /// hash and records it. When the content is already stored, the temp copy is removed and the existing record kept.
    /// </summary>
    public ArtifactRecord Ingest(string tempPath, ArtifactKind kind, ArtifactProvenance provenance)
    {
        bool folder = Directory.Exists(tempPath);
        if (!folder && !File.Exists(tempPath)) throw new WorkflowException($"artifact content {tempPath} was not written");
        string hash = ContentHasher.Hash(tempPath);
        long size = SizeOf(tempPath);
        string final = PathOf(hash);
        if (ExistsOnDisk(final))
            Delete(tempPath);
        else
            MoveIntoPlace(tempPath, final, folder);

        _db.Write((connection, transaction) =>
        {
            connection.Execute(
                $"""
                INSERT INTO artifacts ({Columns})
                VALUES (@hash, @Kind, @folder, @size, @InstanceId, @ActivityId, @StageType, @StageVersion, @OutputName, @Parameters, @Now)
                ON CONFLICT (hash) DO NOTHING
                """,
                new
                {
                    hash, Kind = kind.ToCode(), folder = folder ? 1L : 0L, size, provenance.Producer?.InstanceId, provenance.Producer?.ActivityId,
                    provenance.Producer?.StageType, provenance.Producer?.StageVersion, provenance.OutputName,
                    Parameters = provenance.Parameters.ToJsonString(), Now = _db.NowText(),
                }, transaction);
            foreach (var input in provenance.Inputs)
                connection.Execute(
                    "INSERT INTO artifact_inputs (artifact_hash, input_name, input_hash) VALUES (@hash, @Name, @InputHash) ON CONFLICT DO NOTHING",
                    new { hash, input.Name, InputHash = input.Hash }, transaction);   // Npgsql matches names ignoring case: not @hash and @Hash
        });
        return Find(hash) ?? throw new WorkflowException($"artifact {hash} vanished while it was recorded");
    }

    /// <summary>The record of a full hash, or null.</summary>
    public ArtifactRecord? Find(string hash) => _db.Read(connection =>
    {
        var row = connection.QuerySingleOrDefault<Row>($"SELECT {Columns} FROM artifacts WHERE hash = @hash", new { hash });
        return row is null ? null : ToRecord(row, InputsOf(connection, hash));
    });

    /// <summary>The artifact with this hash or unique hash prefix (at least 4 characters); throws when none or several match.</summary>
    public ArtifactRecord Get(string hashOrPrefix)
    {
        var prefix = hashOrPrefix.Trim().ToLowerInvariant();
        if (prefix.Length < 4) throw new WorkflowNotFoundException($"artifact id '{hashOrPrefix}' is too short; give at least 4 hex digits");
        var matches = _db.Read(connection => connection.Query<string>(
            "SELECT hash FROM artifacts WHERE hash >= @prefix AND hash < @end ORDER BY hash LIMIT 2",
            new { prefix, end = prefix + "g" }).ToList());
        return matches.Count switch
        {
            0 => throw new WorkflowNotFoundException($"no artifact '{hashOrPrefix}' in the store (see `align artifacts list`)"),
            1 => Find(matches[0])!,
            _ => throw new WorkflowNotFoundException($"artifact id '{hashOrPrefix}' is ambiguous; give more digits"),
        };
    }

    /// <summary>Every recorded artifact, newest first.</summary>
    public IReadOnlyList<ArtifactRecord> List() => _db.Read(connection =>
    {
        var inputs = connection.Query<(string ArtifactHash, string InputName, string InputHash)>(
                "SELECT artifact_hash, input_name, input_hash FROM artifact_inputs ORDER BY artifact_hash, input_name, input_hash")
            .ToLookup(i => i.ArtifactHash, i => new ArtifactInput(i.InputName, i.InputHash));
        return connection.Query<Row>($"SELECT {Columns} FROM artifacts ORDER BY created_at DESC, hash")
            .Select(r => ToRecord(r, inputs[r.Hash].ToList())).ToList();
    });

    /// <summary>The artifact and everything upstream of it (its inputs, their inputs ...), breadth first, each once.</summary>
    public IReadOnlyList<LineageEntry> Lineage(string hashOrPrefix)
    {
        var start = Get(hashOrPrefix);
        var result = new List<LineageEntry> { new(0, null, start) };
        var seen = new HashSet<string> { start.Hash };
        for (int i = 0; i < result.Count; i++)
        {
            foreach (var input in result[i].Artifact.Provenance.Inputs)
            {
                if (!seen.Add(input.Hash)) continue;
                var record = Find(input.Hash);
                if (record is not null) result.Add(new LineageEntry(result[i].Depth + 1, input.Name, record));
            }
        }
        return result;
    }

    /// <summary>
    /// The other outputs of the stage run that produced <paramref name="artifact"/>: artifacts with the same producer
    /// (instance and activity), the same parameters and the same input artifacts (so another iteration of a loop,
    /// trained from other inputs, is not one of them). Empty for an artifact added by hand.
    /// </summary>
    public IReadOnlyList<ArtifactRecord> ProducedWith(ArtifactRecord artifact)
    {
        if (artifact.Provenance.Producer is not { } producer) return [];
        var inputs = artifact.Provenance.Inputs.Select(i => (i.Name, i.Hash)).Order().ToList();
        var hashes = _db.Read(connection => connection.Query<string>(
            """
            SELECT hash FROM artifacts
            WHERE instance_id = @InstanceId AND activity_id = @ActivityId AND hash <> @Hash
            ORDER BY output_name, hash
            """,
            new { producer.InstanceId, producer.ActivityId, artifact.Hash }).ToList());
        return hashes.Select(Find).OfType<ArtifactRecord>()
            .Where(r => JsonNode.DeepEquals(r.Provenance.Parameters, artifact.Provenance.Parameters)
                        && r.Provenance.Inputs.Select(i => (i.Name, i.Hash)).Order().SequenceEqual(inputs)).ToList();
    }

    /// <summary>Artifacts that list <paramref name="hash"/> among their inputs.</summary>
    public IReadOnlyList<string> UsedBy(string hash) => _db.Read(connection => connection.Query<string>(
        "SELECT DISTINCT artifact_hash FROM artifact_inputs WHERE input_hash = @hash ORDER BY artifact_hash", new { hash }).ToList());

    /// <summary>Removes temp files and folders left by processes of this host that are no longer running, except those
    /// <paramref name="keep"/> (given the path) holds on to.</summary>
    public int SweepStaleTemps(Func<string, bool>? keep = null)
    {
        if (!Directory.Exists(TempRoot)) return 0;
        int removed = 0;
        foreach (var entry in Directory.EnumerateFileSystemEntries(TempRoot))
        {
            if (TempOwner(Path.GetFileName(entry)) is not var (host, pid)) continue;
            if (host != ProcessIdentity.Host || ProcessIdentity.IsAlive(pid) || keep?.Invoke(entry) == true) continue;
            Delete(entry);
            removed++;
        }
        return removed;
    }

    /// <summary>
    /// The host and process id in a temp name made by <see cref="NewTempPath"/>: <c>host-pid-guid[suffix]</c>, where the
    /// host may contain dashes and the suffix may too (e.g. <c>-run</c>); the 32-hex-digit guid anchors the parse.
    /// </summary>
    internal static (string Host, int Pid)? TempOwner(string name)
    {
        var parts = name.Split('-');
        for (int i = parts.Length - 1; i >= 2; i--)
        {
            string guid = parts[i].Length >= 32 ? parts[i][..32] : "";
            if (guid.Length != 32 || !guid.All(Uri.IsHexDigit)) continue;
            if (!int.TryParse(parts[i - 1], out int pid)) return null;
            return (string.Join('-', parts[..(i - 1)]), pid);
        }
        return null;
    }

    private static void MoveIntoPlace(string temp, string final, bool folder)
    {
        MakeReadOnly(temp, folder);
        try
        {
            if (folder) Directory.Move(temp, final);
            else File.Move(temp, final, overwrite: false);
        }
        catch (IOException) when (File.Exists(final) || Directory.Exists(final))
        {
            Delete(temp); // another process stored the same content first
        }
    }

    private static void MakeReadOnly(string path, bool folder)
    {
        if (OperatingSystem.IsWindows()) return;
        const UnixFileMode readOnly = UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
        foreach (var file in folder ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories) : [path])
            File.SetUnixFileMode(file, readOnly);
    }

    private static long SizeOf(string path) => Directory.Exists(path)
        ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Sum(f => new FileInfo(f).Length)
        : new FileInfo(path).Length;

    internal static void Delete(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }

    private static List<ArtifactInput> InputsOf(DbConnection connection, string hash) =>
        connection.Query<(string InputName, string InputHash)>(
                "SELECT input_name, input_hash FROM artifact_inputs WHERE artifact_hash = @hash ORDER BY input_name, input_hash", new { hash })
            .Select(i => new ArtifactInput(i.InputName, i.InputHash)).ToList();

    private ArtifactRecord ToRecord(Row row, IReadOnlyList<ArtifactInput> inputs)
    {
        var producer = row.InstanceId is null ? null
            : new ArtifactProducer(row.InstanceId, row.ActivityId ?? "", row.StageType ?? "", (int)(row.StageVersion ?? 0));
        var parameters = JsonNode.Parse(row.ParametersJson) as JsonObject ?? new JsonObject();
        return new ArtifactRecord(row.Hash, ArtifactKinds.Parse(row.Kind), row.IsFolder != 0, row.SizeBytes,
            new ArtifactProvenance(producer, row.OutputName, parameters, inputs), Timestamps.Parse(row.CreatedAt),
            PathOf(row.Hash), ExistsOnDisk(row.Hash));
    }

    private sealed class Row
    {
        public string Hash { get; set; } = "";
        public string Kind { get; set; } = "";
        public long IsFolder { get; set; }
        public long SizeBytes { get; set; }
        public string? InstanceId { get; set; }
        public string? ActivityId { get; set; }
        public string? StageType { get; set; }
        public long? StageVersion { get; set; }
        public string? OutputName { get; set; }
        public string ParametersJson { get; set; } = "{}";
        public string CreatedAt { get; set; } = "";
    }
}
