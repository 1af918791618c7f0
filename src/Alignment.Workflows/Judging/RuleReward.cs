using Alignment.Training.Config;
using Alignment.Training.Rewards;

namespace Alignment.Workflows.Judging;

/// <summary>
/// A rule file as a verifiable reward for online RL (<c>reward_funcs</c> entry <c>rules:FILE</c>): a completion's reward
/// is the sum of the scores of the rules that hold for it, as the rule judge scores it. Gates keep their meaning: a
/// completion that fails a gate gets at most floor − 1, where floor is the lowest score a completion passing every gate
/// can get (the gates' scores plus every negative non-gate score), so no gate-failing completion is ever rewarded above
/// one that passes the gates (a wrong sum in the house style stays below a right one in any style).
/// </summary>
public sealed class RuleReward : IRewardFunction
{
    private readonly RuleJudge judge;
    private readonly double floor;

    public RuleReward(RuleJudge judge, string name)
    {
        this.judge = judge;
        Name = name;
        floor = judge.Rules.Sum(r => r.Gate ? r.Score : Math.Min(0, r.Score));
    }

    public string Name { get; }

    public double[] Score(IReadOnlyList<RewardInput> completions) => completions.Select(c => Score(c.Prompt, c.Completion)).ToArray();

    /// <summary>The reward of one answer.</summary>
    public double Score(string prompt, string answer)
    {
        var holds = judge.Holds(prompt, answer);
        double score = 0;
        bool failsGate = false;
        for (int i = 0; i < holds.Length; i++)
        {
            if (holds[i]) score += judge.Rules[i].Score;
            else if (judge.Rules[i].Gate) failsGate = true;
        }
        return failsGate ? Math.Min(score, floor - 1) : score;
    }

    /// <summary>Makes <c>rules:FILE</c> entries of reward_funcs (named after the file, e.g. <c>rules</c> for rules.json);
    /// a rule file that does not load is an error naming the option and the file.</summary>
    public static IRewardFunction? Create(string kind, string argument)
    {
        if (kind != "rules") return null;
        try
        {
            return new RuleReward(RuleJudge.Load(argument), Path.GetFileNameWithoutExtension(argument));
        }
        catch (WorkflowException e)
        {
            throw new ConfigException($"option 'reward_funcs': {e.Message}");
        }
    }
}
