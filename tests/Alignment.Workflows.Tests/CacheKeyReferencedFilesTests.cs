using Alignment.Workflows.Execution;
using Alignment.Workflows.Stages;

namespace Alignment.Workflows.Tests;

// A rule file's `references` (reference answers, JSONL) decide verdicts, so their content is part of the judge stage's
// cache key; the rule file's own hash alone let an edited references.jsonl reuse stale judgments.
public sealed class CacheKeyReferencedFilesTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("align-cachekey-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Key(string rulesPath)
    {
        var descriptor = new CollectJudgmentsActivity().Descriptor;
        var values = new Dictionary<string, object?> { ["judge"] = "rules", ["rules"] = rulesPath };
        return CacheKey.Compute(descriptor, CacheKey.Parameters(descriptor, values), []);
    }

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Editing_the_referenced_answers_changes_the_key_and_unrelated_files_do_not()
    {
        string rules = Write("judge/rules.json", """{"references": "refs.jsonl", "rules": [{"name": "right", "matchesReference": true, "score": 3}]}""");
        string refs = Write("judge/refs.jsonl", "{\"prompt\": \"What is 2 plus 2?\", \"reference\": \"4\"}\n");
        string first = Key(rules);

        Write("judge/other.jsonl", "{\"prompt\": \"x\", \"reference\": \"y\"}\n");
        Assert.Equal(first, Key(rules));                                  // a file the rules do not name

        File.WriteAllText(refs, "{\"prompt\": \"What is 2 plus 2?\", \"reference\": \"5\"}\n");
        string edited = Key(rules);
        Assert.NotEqual(first, edited);                                   // the reference answer changed

        File.Delete(refs);
        Assert.NotEqual(edited, Key(rules));                              // gone: "missing", not the old content

        var parameters = CacheKey.Parameters(new CollectJudgmentsActivity().Descriptor, new Dictionary<string, object?> { ["rules"] = rules });
        Assert.Equal(Path.Combine(_folder, "judge", "refs.jsonl"), (string)parameters["rules"]!["references"]![0]!["path"]!);
        Assert.Equal("missing", (string)parameters["rules"]!["references"]![0]!["sha256"]!);
    }

    [Fact]
    public void Moving_the_rules_and_their_references_together_keeps_the_key()
    {
        string rules = Write("a/rules.json", """{"references": "refs.jsonl", "rules": [{"matchesReference": true, "score": 1}]}""");
        Write("a/refs.jsonl", "{\"prompt\": \"p\", \"reference\": \"r\"}\n");
        string before = Key(rules);
        Directory.Move(Path.Combine(_folder, "a"), Path.Combine(_folder, "b"));
        Assert.Equal(before, Key(Path.Combine(_folder, "b", "rules.json")));
    }

    [Fact]
    public void A_rule_file_without_references_keys_on_its_own_content_as_before()
    {
        string rules = Write("rules.json", """{"rules": [{"contains": "sorry", "score": -1}]}""");
        var descriptor = new CollectJudgmentsActivity().Descriptor;
        var parameters = CacheKey.Parameters(descriptor, new Dictionary<string, object?> { ["rules"] = rules });
        Assert.Null(parameters["rules"]!["references"]);
        string before = Key(rules);
        File.WriteAllText(rules, """{"rules": [{"contains": "sorry", "score": -2}]}""");
        Assert.NotEqual(before, Key(rules));
    }
}
