using Alignment.Data.Model;
using Alignment.Workflows.Evaluation;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Tests;

// Rules that check correctness against per-prompt reference answers, and the per-rule hit rates Evaluate reports.
public sealed class RuleJudgeReferenceTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "align-rule-tests", Guid.NewGuid().ToString("N"));

    public RuleJudgeReferenceTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_folder, name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, text);
        return path;
    }

    private const string References = """
        {"prompt": "What is 3 plus 4?", "reference": "7"}
        {"prompt": "Add 9 and 8.", "reference": "17"}
        {"prompt": "Capital of France?", "reference": "Paris"}
        """;

    // right sum +3, house style +2, chatty −1 (the shape of data/demo/judge-rules.json).
    private string RuleFile(string references = "refs/references.jsonl") => Write("rules.json", $$"""
        { "references": "{{references}}",
          "rules": [ { "name": "right", "matchesReference": true, "score": 3 },
                     { "name": "house", "regex": "^\\d+ plus \\d+ is \\d+\\.$", "score": 2 },
                     { "name": "chatty", "contains": "hope this helps", "score": -1 } ] }
        """);

    [Theory]
    [InlineData("3 plus 4 is 7.", "7", true)]
    [InlineData("The answer is 7!", "7", true)]
    [InlineData("7", "7", true)]
    [InlineData("3 plus 4 is 17.", "7", false)]     // 7 inside 17 is not the number 7
    [InlineData("3 plus 4 is 70.", "7", false)]
    [InlineData("7a", "7", false)]
    [InlineData("It is 1.7 or so", "7", true)]      // '.' is neither letter nor digit: the stated rule counts this 7
    [InlineData("paris, of course", "Paris", true)]  // case-insensitive
    [InlineData("Parisian", "Paris", false)]
    [InlineData("", "7", false)]
    public void A_reference_matches_only_as_a_whole_word_or_number(string answer, string reference, bool expected)
        => Assert.Equal(expected, ReferenceAnswers.ContainsWhole(answer, reference));

    [Fact]
    public void Scores_add_up_per_answer_and_the_higher_score_wins_with_strength_from_the_difference()
    {
        Write("refs/references.jsonl", References);
        var judge = RuleJudge.Load(RuleFile());
        // By hand: "3 plus 4 is 7." = right 3 + house 2 = 5; chatty right = 3 − 1 = 2; "3 plus 4 is 8." = house 2.
        Assert.Equal(5, judge.ScoreOf("What is 3 plus 4?", "3 plus 4 is 7."));
        Assert.Equal(2, judge.ScoreOf("What is 3 plus 4?", "Sure! The answer is 7. Hope this helps!"));
        Assert.Equal(2, judge.ScoreOf("What is 3 plus 4?", "3 plus 4 is 8."));
        Assert.Equal(0, judge.ScoreOf("Add 9 and 8.", "9 plus 8 is 7"));   // no period: not house style; 7 is not 17
        Assert.Equal(new[] { true, true, false }, judge.Holds("What is 3 plus 4?", "3 plus 4 is 7."));

        var verdict = judge.Judge("What is 3 plus 4?", "Sure! The answer is 7. Hope this helps!", "3 plus 4 is 7.");
        Assert.Equal(ShownChoice.Right, verdict.Choice);
        Assert.Equal(3, verdict.Strength);   // difference 3, step 1: strength 3
        var close = judge.Judge("What is 3 plus 4?", "3 plus 4 is 8.", "Sure! The answer is 7. Hope this helps!");
        Assert.Equal(ShownChoice.Tie, close.Choice);   // 2 against 2
        Assert.Equal(ShownChoice.Left, judge.Judge("Add 9 and 8.", "9 plus 8 is 17.", "9 plus 8 is 18.").Choice);
    }

    [Fact]
    public void MatchesReference_false_holds_for_wrong_answers()
    {
        Write("references.jsonl", References);
        var judge = RuleJudge.Load(Write("wrong.json", """
            { "references": "references.jsonl", "rules": [ { "name": "wrong", "matchesReference": false, "score": -2 } ] }
            """));
        Assert.Equal(-2, judge.ScoreOf("Capital of France?", "Lyon"));
        Assert.Equal(0, judge.ScoreOf("Capital of France?", "It is Paris."));
    }

    [Fact]
    public void A_prompt_without_a_reference_is_an_error_naming_the_file_and_prompt()
    {
        string refs = Write("refs/references.jsonl", References);
        var judge = RuleJudge.Load(RuleFile());
        var e = Assert.Throws<WorkflowException>(() => judge.Judge("What is 5 plus 5?", "10", "ten"));
        Assert.Contains(refs, e.Message);
        Assert.Contains("\"What is 5 plus 5?\"", e.Message);
    }

    [Fact]
    public void Bad_reference_files_are_errors_naming_file_line_and_field()
    {
        string refs = Write("refs/references.jsonl", "{\"prompt\": \"a\", \"reference\": \"1\"}\n{\"prompt\": \"b\"}\n");
        var e = Assert.Throws<WorkflowException>(() => RuleJudge.Load(RuleFile()));
        Assert.Equal($"{refs}:2: field \"reference\" is missing", e.Message);

        Write("refs/references.jsonl", "{\"prompt\": \"a\", \"reference\": \"1\"}\n{\"prompt\": \"a\", \"reference\": \"2\"}\n");
        e = Assert.Throws<WorkflowException>(() => RuleJudge.Load(RuleFile()));
        Assert.Contains(":2: prompt \"a\" already has a reference (line 1)", e.Message);

        e = Assert.Throws<WorkflowException>(() => RuleJudge.Load(RuleFile("missing.jsonl")));
        Assert.Contains($"references file {Path.Combine(_folder, "missing.jsonl")} does not exist", e.Message);
    }

    [Fact]
    public void A_reference_rule_without_a_references_file_is_an_error_naming_the_rule()
    {
        string path = Write("norefs.json", """{ "rules": [ { "name": "right", "matchesReference": true, "score": 3 } ] }""");
        var e = Assert.Throws<WorkflowException>(() => RuleJudge.Load(path));
        Assert.Contains("rule 1 ('right') uses matchesReference", e.Message);
        Assert.Contains("\"references\"", e.Message);
    }

    [Fact]
    public void Old_rule_files_without_references_still_load_and_judge()
    {
        var judge = RuleJudge.Load(TestHome.DemoRules);
        Assert.NotEmpty(judge.Rules);
        // data/labeling-demo/judge-rules.json: "refuses" −3 and "too terse" −1 against "substantive" +1 and "gives steps" +1.
        var verdict = judge.Judge("p", "Here are the steps: 1. mix 2. bake, then let it cool for an hour.", "I can't help");
        Assert.Equal(ShownChoice.Left, verdict.Choice);
        Assert.Equal(-3, verdict.Strength);
    }

    [Fact]
    public void Hit_rates_and_mean_scores_match_a_hand_count()
    {
        Write("refs/references.jsonl", References);
        var judge = RuleJudge.Load(RuleFile());
        string[] prompts = ["What is 3 plus 4?", "Add 9 and 8.", "What is 3 plus 4?", "Add 9 and 8."];
        string[] policy = ["3 plus 4 is 7.", "9 plus 8 is 17.", "3 plus 4 is 8.", "Sure, 17. Hope this helps!"];
        string[] baseline = ["Sure! 7. Hope this helps!", "Sure! 16. Hope this helps!", "Sure! 7. Hope this helps!", "9 plus 8 is 17."];
        var rates = RuleHitRates.Compute(judge, prompts, policy, baseline);
        // policy scores 5, 5, 2, 2 -> 3.5; right 3/4, house 3/4, chatty 1/4.
        // baseline scores 2, −1, 2, 5 -> 2.0; right 3/4, house 1/4, chatty 3/4.
        Assert.Equal(3.5, rates.PolicyScore, 12);
        Assert.Equal(2.0, rates.BaselineScore, 12);
        Assert.Equal(["right", "house", "chatty"], rates.Rules.Select(r => r.Name));
        Assert.Equal([0.75, 0.75, 0.25], rates.Rules.Select(r => r.PolicyRate));
        Assert.Equal([0.75, 0.25, 0.75], rates.Rules.Select(r => r.BaselineRate));
        Assert.Equal([3.0, 2.0, -1.0], rates.Rules.Select(r => r.Score));

        var json = rates.ToJson();
        Assert.Equal(3.5, (double)json["policyScore"]!);
        Assert.Equal(2.0, (double)json["baselineScore"]!);
        Assert.Equal("house", (string)json["rules"]![1]!["name"]!);
        Assert.Equal(0.25, (double)json["rules"]![1]!["baselineRate"]!);
        Assert.Equal(2.0, (double)json["rules"]![1]!["score"]!);
        Assert.Equal(0.75, (double)json["rules"]![1]!["policyRate"]!);
    }
}
