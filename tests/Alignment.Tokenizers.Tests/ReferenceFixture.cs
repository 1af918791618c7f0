using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alignment.Tokenizers.Tests;

/// <summary>
/// Hugging Face's own answers, written by fixtures/setup.sh into the test cache
/// (<c>${ALIGN_TEST_CACHE:-$HOME/.cache/alignment-tests}/tokenizers</c>), and the real tokenizers it installed.
/// A missing fixture fails the test with the command to run; nothing is skipped.
/// </summary>
internal static class ReferenceFixture
{
    private static readonly Lazy<JsonObject> Json = new(Load);
    private static readonly ConcurrentDictionary<string, Tokenizer> Tokenizers = new();

    public static string CacheDir
    {
        get
        {
            string root = Environment.GetEnvironmentVariable("ALIGN_TEST_CACHE") is { Length: > 0 } custom
                ? custom
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "alignment-tests");
            return Path.Combine(root, "tokenizers");
        }
    }

    public static string SetupScript => "tests/Alignment.Tokenizers.Tests/fixtures/setup.sh";

    public static JsonObject Root => Json.Value;

    public static string ModelDir(string name)
    {
        _ = Root; // fail with the setup hint first
        string dir = Path.Combine(CacheDir, "models", name);
        Assert.True(Directory.Exists(dir), $"Reference tokenizer '{name}' is missing from {dir}. Run {SetupScript}.");
        return dir;
    }

    public static Tokenizer Tokenizer(string name) => Tokenizers.GetOrAdd(name, n => Alignment.Tokenizers.Tokenizer.FromFile(ModelDir(n)));

    public static IEnumerable<JsonObject> Parity(string tokenizer)
    {
        var list = Root["parity"]?[tokenizer]?.AsArray()
            ?? throw new Xunit.Sdk.XunitException($"fixture.json has no parity entries for '{tokenizer}'. Run {SetupScript}.");
        return list.Select(n => n!.AsObject());
    }

    public static IEnumerable<JsonObject> Chat() => Root["chat"]!.AsArray().Select(n => n!.AsObject());

    public static int[] Ids(JsonNode? node) => node!.AsArray().Select(n => n!.GetValue<int>()).ToArray();

    private static JsonObject Load()
    {
        string file = Path.Combine(CacheDir, "fixture.json");
        if (!File.Exists(file))
            throw new Xunit.Sdk.XunitException(
                $"Tokenizer reference fixture not found at {file}. Run {SetupScript} (needs node and npm; " +
                "set ALIGN_TEST_CACHE to use another cache folder).");
        return JsonNode.Parse(File.ReadAllText(file))!.AsObject();
    }
}
