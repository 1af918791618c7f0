using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Alignment.Cli.Commands;
using Alignment.Models.Checkpoints;
using Alignment.Tokenizers.Training;

namespace Alignment.Cli.Tests;

// The bad-input corpus: every file under BadInput/<area>/ is one case (see BadInput/README.md for the format). Each is
// run in-process and must exit 2 with one message naming the file (and line and field where the case says so), print no
// stack trace, and leave every file under its folders and the shared fixtures as it found them.
[Collection("train-cli (sequential)")]
public sealed class BadInputCorpusTests : IDisposable
{
    private static readonly string CorpusRoot = Path.Combine(AppContext.BaseDirectory, "BadInput");
    private readonly string root = Directory.CreateTempSubdirectory("align-badinput-").FullName;
    private readonly string fixtures;
    private readonly Dictionary<string, string> names;

    public BadInputCorpusTests()
    {
        fixtures = Path.Combine(root, "fixtures");
        string model = CreateModel(Path.Combine(fixtures, "model"));
        // The same model with one weight made NaN (or +inf) by editing the safetensors bytes directly.
        string nan = CopyFolder(model, Path.Combine(fixtures, "nan-model"));
        SetFirstFloat(Path.Combine(nan, "model.safetensors"), "model.layers.1.mlp.down_proj.weight", float.NaN);
        string inf = CopyFolder(model, Path.Combine(fixtures, "inf-model"));
        SetFirstFloat(Path.Combine(inf, "model.safetensors"), "model.norm.weight", float.PositiveInfinity);
        names = new Dictionary<string, string>
        {
            ["{model}"] = model,
            ["{nan_model}"] = nan,
            ["{inf_model}"] = inf,
            ["{tokenizer}"] = Path.Combine(model, "tokenizer.json"),
            ["{repo}"] = RepoRoot(),
        };
    }

    public void Dispose()
    {
        foreach (var path in Directory.EnumerateFileSystemEntries(root, "*", SearchOption.AllDirectories)) Chattr("-i", path);
        Directory.Delete(root, recursive: true);
    }

    [Fact]
    public void Every_case_exits_2_with_a_message_naming_the_file_and_writes_nothing()
    {
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(CorpusRoot, "manifest.json")));
        var areas = manifest.RootElement.GetProperty("areas").EnumerateArray().Select(a => a.GetString()!).ToList();
        int minimum = manifest.RootElement.GetProperty("minimum_cases").GetInt32();
        var cases = areas.SelectMany(a => Directory.GetFiles(Path.Combine(CorpusRoot, a), "*.json").Order(StringComparer.Ordinal)).ToList();
        Assert.True(cases.Count >= minimum, $"{cases.Count} cases, the manifest asks for at least {minimum}");
        foreach (var area in areas) Assert.True(Directory.GetFiles(Path.Combine(CorpusRoot, area), "*.json").Length > 0, $"no case in {area}/");

        var failures = new List<string>();
        var notImmutable = new List<string>();
        var clock = Stopwatch.StartNew();
        foreach (var file in cases)
        {
            string name = Path.GetRelativePath(CorpusRoot, file);
            try
            {
                if (RunCase(name, JsonNode.Parse(File.ReadAllText(file))!.AsObject()) is { } problem)
                    failures.Add($"{name}: {problem}");
            }
            catch (SkipImmutable e)
            {
                notImmutable.Add($"{name} ({e.Message})");
            }
        }
        Console.WriteLine($"bad-input corpus: {cases.Count} cases in {clock.Elapsed.TotalSeconds:0.0} s; " +
                          $"{notImmutable.Count} not run because chattr +i is unavailable here{(notImmutable.Count > 0 ? ": " + string.Join(", ", notImmutable) : "")}");
        Assert.True(failures.Count == 0, $"{failures.Count} of {cases.Count} cases failed:\n" + string.Join("\n\n", failures));
    }

    private sealed class SkipImmutable(string message) : Exception(message);

    /// <summary>Runs one case; returns what is wrong, or null.</summary>
    private string? RunCase(string name, JsonObject spec)
    {
        string caseDir = Path.Combine(root, "cases", Path.ChangeExtension(name, null).Replace(Path.DirectorySeparatorChar, '_'));
        string work = Path.Combine(caseDir, "work"), home = Path.Combine(caseDir, "home");
        Directory.CreateDirectory(work);
        string Expand(string s)
        {
            s = s.Replace("{work}", work).Replace("{home}", home);
            foreach (var (key, value) in names) s = s.Replace(key, value);
            return s;
        }

        if (spec["copy"] is JsonObject copies)   // {"to": "from"}: copy a file of a fixture, then the "files" above may replace parts
            foreach (var (to, from) in copies)
            {
                string full = Path.Combine(work, to);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                File.Copy(Expand(from!.GetValue<string>()), full, overwrite: true);
            }
        if (spec["files"] is JsonObject files)
            foreach (var (path, content) in files)
            {
                string full = Path.Combine(work, path);
                Directory.CreateDirectory(Path.GetDirectoryName(full)!);
                if (content is JsonObject { } binary && binary["latin1"] is { } latin1)
                    File.WriteAllBytes(full, Encoding.Latin1.GetBytes(Expand(latin1.GetValue<string>())));
                else if (content is JsonObject { } copy && copy["copy_of"] is { } source)
                    CopyFolder(Expand(source.GetValue<string>()), full);
                else if (content is JsonObject { } directory && directory["folder"] is not null)
                    Directory.CreateDirectory(full);
                else
                    File.WriteAllText(full, Expand(content is JsonValue v && v.TryGetValue(out string? text) ? text : content!.ToJsonString()));
            }
        if (spec["edit"] is JsonObject edits)   // {"file": {"dotted.path": value (null removes it)}}: change a copied JSON file
            foreach (var (path, changes) in edits)
            {
                string full = Path.Combine(work, path);
                var doc = JsonNode.Parse(File.ReadAllText(full))!;
                foreach (var (dotted, value) in changes!.AsObject())
                {
                    var parts = dotted.Split('.');
                    var parent = parts[..^1].Aggregate(doc, (node, part) => int.TryParse(part, out int i) ? node[i]! : node[part]!);
                    if (parent is JsonArray array) array[int.Parse(parts[^1])] = value?.DeepClone();
                    else if (value is null) parent.AsObject().Remove(parts[^1]);
                    else parent[parts[^1]] = value.DeepClone();
                }
                File.WriteAllText(full, doc.ToJsonString());
            }
        if (spec["prepend_member"] is JsonObject prepends)   // {"file": "\"key\": value"}: raw text after the first '{' (a duplicate key)
            foreach (var (path, member) in prepends)
            {
                string full = Path.Combine(work, path), text = File.ReadAllText(full);
                int brace = text.IndexOf('{');
                File.WriteAllText(full, text[..(brace + 1)] + member!.GetValue<string>() + "," + text[(brace + 1)..]);
            }
        if (spec["truncate"] is JsonObject truncations)   // {"path": bytes to keep}
            foreach (var (path, keep) in truncations)
                using (var f = new FileStream(Path.Combine(work, path), FileMode.Open)) f.SetLength(keep!.GetValue<long>());
        foreach (var step in spec["setup"]?.AsArray() ?? [])
        {
            var r = CliRunner.Run(step!.AsArray().Select(a => Expand(a!.GetValue<string>())).ToArray());
            if (r.ExitCode != 0) return $"setup {step.ToJsonString()} exited {r.ExitCode}: {r.Error}";
        }

        // Pooled connections from the setup would keep the database open (and writable) past chattr: close them.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        var immutable = (spec["immutable"]?.AsArray() ?? []).Select(p => Expand(p!.GetValue<string>())).ToList();
        foreach (var path in immutable)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            if (!Path.Exists(path)) Directory.CreateDirectory(path);
            if (!Chattr("+i", path)) throw new SkipImmutable($"chattr +i {path} failed");
        }

        var env = (spec["env"] as JsonObject ?? []).ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
        var saved = env.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        var before = Snapshot(caseDir, fixtures);
        CliRunner.Result result;
        try
        {
            foreach (var (k, v) in env) Environment.SetEnvironmentVariable(k, v);
            result = CliRunner.Run(spec["args"]!.AsArray().Select(a => Expand(a!.GetValue<string>())).ToArray());
        }
        finally
        {
            foreach (var (k, v) in saved) Environment.SetEnvironmentVariable(k, v);
            foreach (var path in immutable) Chattr("-i", path);
        }
        var after = Snapshot(caseDir, fixtures);

        var problems = new List<string>();
        if (result.ExitCode != ExitCodes.Failure) problems.Add($"exit code {result.ExitCode}, expected 2");
        foreach (var expected in spec["expect"]!.AsArray().Select(e => Expand(e!.GetValue<string>())))
            if (!result.Error.Contains(expected, StringComparison.Ordinal)) problems.Add($"the message lacks \"{expected}\"");
        if (result.Error.Contains("   at ", StringComparison.Ordinal) || result.Error.Contains("Exception", StringComparison.Ordinal))
            problems.Add("a stack trace or exception name was printed");
        foreach (var path in before.Keys.Union(after.Keys).Order(StringComparer.Ordinal))
        {
            before.TryGetValue(path, out var was);
            after.TryGetValue(path, out var now);
            if (was != now) problems.Add(was is null ? $"it wrote {path}" : now is null ? $"it removed {path}" : $"it changed {path}");
        }
        return problems.Count == 0 ? null : string.Join("; ", problems) + $"\n  stderr: {result.Error.Trim()}\n  stdout: {result.Out.Trim()}";
    }

    /// <summary>Every file and folder under the given roots with a hash of its content (folders: "dir"). The SQLite
    /// database counts by presence only (a checkpoint moves pages without changing any row), and its -wal/-shm files,
    /// which SQLite keeps while any connection is open, not at all.</summary>
    private static Dictionary<string, string> Snapshot(params string[] roots)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var r in roots.Where(Directory.Exists))
            foreach (var path in Directory.EnumerateFileSystemEntries(r, "*", SearchOption.AllDirectories))
            {
                if (Path.GetFileName(path) is "align.db-wal" or "align.db-shm") continue;   // SQLite's, while a connection is open
                result[path] = Directory.Exists(path) ? "dir"
                    : Path.GetFileName(path) == "align.db" ? "database"
                    : Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));
            }
        return result;
    }

    /// <summary>chattr makes a path immutable even for root (who ignores permission bits); false when it is unavailable.</summary>
    private static bool Chattr(string flag, string path)
    {
        try
        {
            using var p = Process.Start(new ProcessStartInfo("chattr", [flag, path]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
            p.WaitForExit();
            return p.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }

    private static string CreateModel(string folder)
    {
        var corpus = Enumerable.Range(0, 30).SelectMany(i => new[] { $"q{i} red blue cat dog good bad", "green owl fox" });
        var trained = BpeTrainer.Train(corpus.Concat(corpus),
            new BpeTrainerOptions { VocabSize = 300, SpecialTokens = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], EosToken = "<|im_end|>", PadToken = "<|endoftext|>" });
        var config = TinyModels.Config("llama", vocab: trained.VocabSize, hidden: 32, layers: 2) with { EosTokenId = [trained.VocabSize - 1], BosTokenId = null };
        TinyModels.CreateFolder(folder, config, 3);
        trained.Save(folder);
        return folder;
    }

    private static string CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        return to;
    }

    /// <summary>Overwrites the first element of a float32 tensor in a safetensors file (8-byte little-endian header
    /// length, JSON header with data_offsets relative to the end of the header, then the data).</summary>
    private static void SetFirstFloat(string path, string tensor, float value)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        var header = JsonNode.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength))!;
        Assert.Equal("F32", header[tensor]!["dtype"]!.GetValue<string>());
        long start = 8 + headerLength + header[tensor]!["data_offsets"]![0]!.GetValue<long>();
        BitConverter.GetBytes(value).CopyTo(bytes, start);
        File.WriteAllBytes(path, bytes);
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir != null && !File.Exists(Path.Combine(dir.FullName, "Alignment.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("Alignment.sln not found above " + AppContext.BaseDirectory);
    }
}
