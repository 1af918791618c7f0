using Alignment.Training.Config;
using Alignment.Training.Rewards;
using Alignment.Workflows.Judging;

namespace Alignment.Workflows.Tests;

// A rule file as an online-RL reward: the sum of the scores of the rules that hold, with gate failures held below every
// gate-passing answer (worked by hand from the rule scores below).
public sealed class RuleRewardTests
{
    private static readonly ReferenceAnswers References = new(new Dictionary<string, string> { ["What is 3 plus 4?"] = "is 7" });

    // right sum +3 (a gate), house style +2, chatty −1: the demo's rules. Lowest gate-passing score: 3 − 1 = 2.
    private static RuleReward Reward() => new(new RuleJudge(new RuleFile
    {
        Rules =
        [
            new JudgeRule { Name = "right sum", MatchesReference = true, Score = 3, Gate = true },
            new JudgeRule { Name = "house style", Regex = "^The answer is \\d+\\.$", Score = 2 },
            new JudgeRule { Name = "chatty", Regex = "(?i)\\bsure\\b", Score = -1 },
        ],
    }, "rules.json", References), "rules");

    private const string Prompt = "What is 3 plus 4?";

    [Theory]
    [InlineData("The answer is 7.", 5)]          // right 3 + house 2
    [InlineData("Sure! The answer is 7.", 2)]    // right 3 − chatty 1: the lowest passing score
    [InlineData("The answer is 8.", 1)]          // fails the gate: house 2, capped at 2 − 1
    [InlineData("Sure! The answer is 9.", -1)]   // fails the gate: chatty −1, already below the cap
    public void Rule_rewards_sum_the_rules_and_keep_gate_failures_below_every_passing_answer(string answer, double expected) =>
        Assert.Equal(expected, Reward().Score(Prompt, answer), 12);

    [Fact]
    public void Weighted_with_another_reward_each_is_reported_on_its_own()
    {
        var inputs = new[] { "The answer is 7.", "The answer is 8." }.Select(a => new RewardInput(Prompt, a, [1], [2, 3, 4])).ToList();
        var weighted = new WeightedRewards([Reward(), new Constant()], [2.0, 0.5]);
        var scores = weighted.Score(inputs);
        Assert.Equal([2 * 5 + 0.5 * 10, 2 * 1 + 0.5 * 10], scores.Total);
        var metrics = scores.Metrics().ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(3.0, metrics["rewards/rules/mean"], 12);
        Assert.Equal(Math.Sqrt(8), metrics["rewards/rules/std"], 12);      // (5 − 3)² + (1 − 3)² over n − 1 = 1
        Assert.Equal(0.0, metrics["rewards/constant/std"], 12);
    }

    [Fact]
    public void A_missing_rule_file_names_the_option_and_the_file()
    {
        var e = Assert.Throws<ConfigException>(() => RuleReward.Create("rules", "/nonexistent/rules.json"));
        Assert.Contains("option 'reward_funcs'", e.Message);
        Assert.Contains("/nonexistent/rules.json", e.Message);
        Assert.Null(RuleReward.Create("other", "x"));
    }

    private sealed class Constant : IRewardFunction
    {
        public string Name => "constant";
        public double[] Score(IReadOnlyList<RewardInput> completions) => completions.Select(_ => 10.0).ToArray();
    }
}
