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
    /// <summary>Points added when the rule holds (negative to penalize).</summary>
    public double Score { get; init; }
}

/// <summary>A rule file (JSON) for <see cref="RuleJudge"/>.</summary>
public sealed record RuleFile
{
    public string Description { get; init; } = "";
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
/// <c>contains</c>, <c>regex</c>, <c>minLength</c> or <c>maxLength</c>); the higher score wins with strength
/// ceil((difference − tie) / strengthStep) capped at 3; a difference within <c>tie</c> is a tie; both below
/// <c>bothBadBelow</c> is both_bad. Rule file example:
/// <code>
/// { "description": "prefer concrete, polite answers",
///   "rules": [ { "name": "gives steps", "regex": "(?m)^\\s*\\d+\\.", "score": 2 },
///              { "name": "refuses", "contains": "I can't help", "score": -3 },
///              { "name": "substantive", "minLength": 40, "score": 1 } ],
///   "tie": 0, "bothBadBelow": -1, "strengthStep": 1 }
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

    public RuleJudge(RuleFile file, string source = "rules")
    {
        _file = file;
        if (file.Rules.Count == 0) throw new WorkflowException($"{source}: the rule file has no rules");
        if (file.StrengthStep <= 0) throw new WorkflowException($"{source}: strengthStep must be positive");
        _patterns = new Regex?[file.Rules.Count];
        for (int i = 0; i < file.Rules.Count; i++)
        {
            var rule = file.Rules[i];
            int tests = (rule.Contains is null ? 0 : 1) + (rule.Regex is null ? 0 : 1) + (rule.MinLength is null ? 0 : 1) + (rule.MaxLength is null ? 0 : 1);
            if (tests != 1) throw new WorkflowException($"{source}: rule {i + 1} ('{rule.Name}') must have exactly one of contains, regex, minLength, maxLength");
            if (rule.Regex is { } pattern)
            {
                try { _patterns[i] = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1)); }
                catch (ArgumentException e) { throw new WorkflowException($"{source}: rule {i + 1} ('{rule.Name}'): bad regex: {e.Message}"); }
            }
        }
    }

    public string Name => "rules";

    /// <summary>Loads a rule file; errors name the file (and line for malformed JSON).</summary>
    public static RuleJudge Load(string path)
    {
        if (!File.Exists(path)) throw new WorkflowException($"rule file {path} does not exist");
        try
        {
            var file = JsonSerializer.Deserialize<RuleFile>(File.ReadAllText(path), Options) ?? throw new WorkflowException($"{path}: empty rule file");
            return new RuleJudge(file, path);
        }
        catch (JsonException e)
        {
            throw new WorkflowException($"{path}:{(e.LineNumber ?? 0) + 1}: {e.Message.Split(" Path:")[0]}");
        }
    }

    public JudgeVerdict Judge(string prompt, string left, string right)
    {
        var (leftScore, leftRules) = Score(left);
        var (rightScore, rightRules) = Score(right);
        string rationale = $"left {leftScore:0.##} ({Describe(leftRules)}), right {rightScore:0.##} ({Describe(rightRules)})";
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

    private (double Score, List<string> Matched) Score(string answer)
    {
        double score = 0;
        var matched = new List<string>();
        for (int i = 0; i < _file.Rules.Count; i++)
        {
            var rule = _file.Rules[i];
            bool holds = rule.Contains is { } text ? answer.Contains(text, StringComparison.OrdinalIgnoreCase)
                : _patterns[i] is { } regex ? regex.IsMatch(answer)
                : rule.MinLength is { } min ? answer.Length >= min
                : answer.Length <= rule.MaxLength!.Value;
            if (!holds) continue;
            score += rule.Score;
            matched.Add(rule.Name.Length > 0 ? rule.Name : $"rule {i + 1}");
        }
        return (score, matched);
    }

    private static string Describe(List<string> rules) => rules.Count == 0 ? "no rules" : string.Join(", ", rules);
}
