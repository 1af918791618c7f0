using Alignment.Data.Model;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Tests;

// Gate rules put correctness before style: a wrong answer in the wanted style never beats a right one in another style,
// and two wrong answers give no preference (both_bad).
public sealed class RuleJudgeGateTests
{
    private static readonly ReferenceAnswers References = new(new Dictionary<string, string> { ["What is 3 plus 4?"] = "is 7" });

    // right sum +3 (a gate), house style +2, chatty −1: the demo's rules.
    private static RuleJudge Judge(bool gate) => new(new RuleFile
    {
        Rules =
        [
            new JudgeRule { Name = "right sum", MatchesReference = true, Score = 3, Gate = gate },
            new JudgeRule { Name = "house style", Regex = "^The answer is \\d+\\.$", Score = 2 },
            new JudgeRule { Name = "chatty", Regex = "(?i)\\bsure\\b", Score = -1 },
        ],
    }, "rules.json", References);

    private const string Prompt = "What is 3 plus 4?";
    private const string HouseWrong = "The answer is 8.";          // house 2           = 2
    private const string ChattyRight = "Sure! The answer is 7.";   // right 3, chatty −1 = 2
    private const string HouseRight = "The answer is 7.";          // right 3, house 2  = 5
    private const string ChattyWrong = "Sure! The answer is 9.";   // chatty −1         = −1

    [Fact]
    public void Without_a_gate_a_wrong_answer_in_house_style_ties_with_a_right_chatty_one()
    {
        // The failure the gate exists for: equal scores (2 = 2) make a tie, so correctness is lost.
        Assert.Equal(ShownChoice.Tie, Judge(gate: false).Judge(Prompt, HouseWrong, ChattyRight).Choice);
    }

    [Fact]
    public void With_a_gate_the_right_answer_wins_with_full_strength_on_either_side()
    {
        var judge = Judge(gate: true);
        var left = judge.Judge(Prompt, ChattyRight, HouseWrong);
        Assert.Equal((ShownChoice.Left, -3), (left.Choice, left.Strength));
        var right = judge.Judge(Prompt, HouseWrong, ChattyRight);
        Assert.Equal((ShownChoice.Right, 3), (right.Choice, right.Strength));
        Assert.Contains("fails gate right sum", right.Rationale);
    }

    [Fact]
    public void Two_answers_that_fail_a_gate_are_both_bad_whatever_their_scores()
    {
        // Scores 2 and −1 would otherwise make the house-style wrong answer win with strength 3.
        var verdict = Judge(gate: true).Judge(Prompt, HouseWrong, ChattyWrong);
        Assert.Equal((ShownChoice.BothBad, 0), (verdict.Choice, verdict.Strength));
    }

    [Fact]
    public void When_both_pass_the_gates_the_scores_decide_as_before()
    {
        // 5 against 2: difference 3, strength ceil(3 / 1) = 3 for the right (house) answer.
        var verdict = Judge(gate: true).Judge(Prompt, ChattyRight, HouseRight);
        Assert.Equal((ShownChoice.Right, 3), (verdict.Choice, verdict.Strength));
        Assert.True(Judge(gate: true).PassesGates(Prompt, ChattyRight));
        Assert.False(Judge(gate: true).PassesGates(Prompt, HouseWrong));
    }
}
