using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Alignment.Data.Model;

namespace Alignment.Workflows.Judging;

/// <summary>One rule of a rule file: a test on an answer and the points it gives when the test holds.</summary>
public sealed record JudgeRule
{
    /// <summary>Name shown in rationales.</summary>
    public string Name { get; init; } = "";
    /// <summary>Holds when the answer contains this text (case-insensitive).</summary>
    public string? Contains { get; init; }
    /// <summary>Holds when the answer matches this .NET regular expression.</summary>
    public string? Regex { get; init; }
    /// <summary>Holds when the answer has at least this many characters.</summary>
    public int? MinLength { get; init; }
    /// <summary>Holds when the answer has at most this many characters.</summary>
    public int? MaxLength { get; init; }
    /// <summary>true: holds when the answer contains the prompt's reference answer as a whole word or number (the rule
    /// file's <c>references</c>); false: holds when it does not.</summary>
    public bool? MatchesReference { get; init; }
    /// <summary>Points added when the rule holds (negative to penalize).</summary>
    public double Score { get; init; }
    /// <summary>A gate: an answer must satisfy it (and every other gate) before its score counts. An answer that fails a
    /// gate never beats one that passes them all (it loses with strength 3, whatever the scores); two answers that both
    /// fail a gate are both_bad, which gives no preference pair. Use it to put correctness before style.</summary>
    public bool Gate { get; init; }
}

/// <summary>A rule file (JSON) for <see cref="RuleJudge"/>.</summary>
public sealed record RuleFile
{
    public string Description { get; init; } = "";
    /// <summary>A JSONL file of <c>{"prompt", "reference"}</c> rows (relative paths: to the rule file's folder), needed by
    /// <c>matchesReference</c> rules (see <see cref="ReferenceAnswers"/>).</summary>
    public string? References { get; init; }
    public IReadOnlyList<JudgeRule> Rules { get; init; } = [];
    /// <summary>A score difference at or below this is a tie.</summary>
    public double Tie { get; init; }
    /// <summary>When both answers score below this, the verdict is both_bad (null: never).</summary>
    public double? BothBadBelow { get; init; }
    /// <summary>Points of difference (beyond <see cref="Tie"/>) per strength step; strength is 1..3.</summary>
    public double StrengthStep { get; init; } = 1;
}

/// <summary>
/// A rule-based judge: each answer gets the sum of the scores of the rules it satisfies (a rule is one test:
/// <c>contains</c>, <c>regex</c>, <c>minLength</c>, <c>maxLength</c> or <c>matchesReference</c>, the last against the
/// prompt's reference answer from the file named by <c>references</c>); the higher score wins with strength
/// ceil((difference − tie) / strengthStep) capped at 3; a difference within <c>tie</c> is a tie; both below
/// <c>bothBadBelow</c> is both_bad. Gates come first: a rule with <c>"gate": true</c> must hold; an answer failing a gate
/// loses to one passing every gate (strength 3) and two answers that both fail a gate are both_bad, so a wrong answer in
/// the wanted style can never be preferred to a right one in the wrong style. Rule file example:
/// <code>
/// { "description": "prefer concrete, polite answers",
///   "rules": [ { "name": "gives steps", "regex": "(?m)^\\s*\\d+\\.", "score": 2 },
///              { "name": "refuses", "contains": "I can't help", "score": -3 },
///              { "name": "substantive", "minLength": 40, "score": 1 } ],
///   "tie": 0, "bothBadBelow": -1, "strengthStep": 1 }
/// </code>
/// With reference answers (<c>references.jsonl</c> beside the rule file: <c>{"prompt": "What is 3 plus 4?", "reference": "7"}</c>):
/// <code>
/// { "references": "references.jsonl",
///   "rules": [ { "name": "right sum", "matchesReference": true, "score": 3, "gate": true },
///              { "name": "house style", "regex": "^\\d+ plus \\d+ is \\d+\\.$", "score": 2 } ] }
/// </code>
/// </summary>
public sealed class RuleJudge : IScriptedJudge
{
    private static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
        ReadCommentHandling = JsonCommentHandling.Skip,
    };

    private readonly RuleFile _file;
    private readonly Regex?[] _patterns;
    private readonly ReferenceAnswers? _references;

    /// <summary>A judge over <paramref name="file"/>'s rules; <paramref name="references"/> is needed when a rule uses
    /// <c>matchesReference</c>. Errors name <paramref name="source"/> and the rule.</summary>
    public RuleJudge(RuleFile file, string source = "rules", ReferenceAnswers? references = null)
    {
        _file = file;
        _references = references;
        Fingerprint = Workflows.Artifacts.ContentHasher.HashText(JsonSerializer.Serialize(file, Options) + "\n" + (references?.Canonical() ?? ""))[..12];
        if (file.Rules.Count == 0) throw new WorkflowException($"{source}: the rule file has no rules");
        if (file.StrengthStep <= 0) throw new WorkflowException($"{source}: strengthStep must be positive");
        _patterns = new Regex?[file.Rules.Count];
        for (int i = 0; i < file.Rules.Count; i++)
        {
            var rule = file.Rules[i];
            int tests = (rule.Contains is null ? 0 : 1) + (rule.Regex is null ? 0 : 1) + (rule.MinLength is null ? 0 : 1) + (rule.MaxLength is null ? 0 : 1)
                        + (rule.MatchesReference is null ? 0 : 1);
            if (tests != 1) throw new WorkflowException($"{source}: rule {i + 1} ('{rule.Name}') must have exactly one of contains, regex, minLength, maxLength, matchesReference");
            if (rule.MatchesReference is not null && references is null)
                throw new WorkflowException($"{source}: rule {i + 1} ('{rule.Name}') uses matchesReference; name a JSONL file of {{\"prompt\", \"reference\"}} rows with the key \"references\"");
            if (rule.Regex is { } pattern)
            {
                try { _patterns[i] = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
                catch (ArgumentException e) { throw new WorkflowException($"{source}: rule {i + 1} ('{rule.Name}'): bad regex: {e.Message}"); }
            }
        }
    }

    public string Name => "rules";

    /// <summary>The first 12 hex digits of the sha256 of the rules as parsed (the whole rule file's settings) and of the
    /// reference answers sorted by prompt: editing either makes a new judge; reformatting the file does not.</summary>
    public string Fingerprint { get; }

    /// <summary>The rules, in file order.</summary>
    public IReadOnlyList<JudgeRule> Rules => _file.Rules;

    /// <summary>The display name of rule <paramref name="index"/> (its name, or "rule N" when it has none).</summary>
    public string RuleName(int index) => _file.Rules[index].Name.Length > 0 ? _file.Rules[index].Name : $"rule {index + 1}";

    /// <summary>The reference-answer file a rule file names (full path), or none; a file that does not parse names none
    /// (loading it reports the error).</summary>
    public static IReadOnlyList<string> ReferencedFiles(string path)
    {
        try
        {
            var file = JsonSerializer.Deserialize<RuleFile>(File.ReadAllText(path), Options);
            return file?.References is { } relative ? [ReferencesPath(path, relative)] : [];
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return [];
        }
    }

    private static string ReferencesPath(string rulesPath, string relative) =>
        Path.GetFullPath(relative, Path.GetDirectoryName(Path.GetFullPath(rulesPath))!);

    /// <summary>Loads a rule file; errors name the file (and line for malformed JSON).</summary>
    public static RuleJudge Load(string path)
    {
        if (!File.Exists(path)) throw new WorkflowException($"rule file {path} does not exist");
        try
        {
            var file = JsonSerializer.Deserialize<RuleFile>(File.ReadAllText(path), Options) ?? throw new WorkflowException($"{path}: empty rule file");
            var references = file.References is { } relative
                ? ReferenceAnswers.Load(ReferencesPath(path, relative))
                : null;
            return new RuleJudge(file, path, references);
        }
        catch (JsonException e)
        {
            throw new WorkflowException($"{path}:{(e.LineNumber ?? 0) + 1}: {e.Message.Split(" Path:")[0]}");
        }
    }

    public JudgeVerdict Judge(string prompt, string left, string right)
    {
        var (leftScore, leftRules, leftFails) = Score(prompt, left);
        var (rightScore, rightRules, rightFails) = Score(prompt, right);
        string rationale = $"left {leftScore:0.##} ({Describe(leftRules, leftFails)}), right {rightScore:0.##} ({Describe(rightRules, rightFails)})";
        if (leftFails.Count > 0 && rightFails.Count > 0) return new JudgeVerdict(ShownChoice.BothBad, 0, rationale);
        if (leftFails.Count > 0) return new JudgeVerdict(ShownChoice.Right, 3, rationale);
        if (rightFails.Count > 0) return new JudgeVerdict(ShownChoice.Left, -3, rationale);
        if (_file.BothBadBelow is { } floor && leftScore < floor && rightScore < floor)
            return new JudgeVerdict(ShownChoice.BothBad, 0, rationale);
        double difference = rightScore - leftScore;
        if (Math.Abs(difference) <= _file.Tie)
            return new JudgeVerdict(ShownChoice.Tie, 0, rationale);
        int strength = (int)Math.Clamp(Math.Ceiling((Math.Abs(difference) - _file.Tie) / _file.StrengthStep), 1, 3);
        return difference > 0
            ? new JudgeVerdict(ShownChoice.Right, strength, rationale)
            : new JudgeVerdict(ShownChoice.Left, -strength, rationale);
    }

    /// <summary>Which rules hold for <paramref name="answer"/> to <paramref name="prompt"/>, in file order.</summary>
    public bool[] Holds(string prompt, string answer)
    {
        var holds = new bool[_file.Rules.Count];
        for (int i = 0; i < holds.Length; i++)
        {
            var rule = _file.Rules[i];
            holds[i] = rule.Contains is { } text ? answer.Contains(text, StringComparison.OrdinalIgnoreCase)
                : _patterns[i] is { } regex ? regex.IsMatch(answer)
                : rule.MinLength is { } min ? answer.Length >= min
                : rule.MaxLength is { } max ? answer.Length <= max
                : _references!.Matches(prompt, answer) == rule.MatchesReference!.Value;
        }
        return holds;
    }

    /// <summary>The answer's score: the sum of the scores of the rules that hold.</summary>
    public double ScoreOf(string prompt, string answer) => Score(prompt, answer).Score;

    /// <summary>Whether <paramref name="answer"/> satisfies every gate rule (true when the file has none).</summary>
    public bool PassesGates(string prompt, string answer) => Score(prompt, answer).FailedGates.Count == 0;

    /// <summary>Whether the file has gate rules.</summary>
    public bool HasGates => _file.Rules.Any(r => r.Gate);

    private (double Score, List<string> Matched, List<string> FailedGates) Score(string prompt, string answer)
    {
        double score = 0;
        var matched = new List<string>();
        var failed = new List<string>();
        var holds = Holds(prompt, answer);
        for (int i = 0; i < holds.Length; i++)
        {
            if (!holds[i])
            {
                if (_file.Rules[i].Gate) failed.Add(RuleName(i));
                continue;
            }
            score += _file.Rules[i].Score;
            matched.Add(RuleName(i));
        }
        return (score, matched, failed);
    }

    private static string Describe(List<string> rules, List<string> failedGates)
    {
        string text = rules.Count == 0 ? "no rules" : string.Join(", ", rules);
        return failedGates.Count == 0 ? text : $"{text}; fails gate {string.Join(", ", failedGates)}";
    }
}
